package main

import (
	"bytes"
	"testing"

	"github.com/spgo/sp/internal/leaktest"
	"github.com/stretchr/testify/require"
)

func TestMain(m *testing.M) { leaktest.VerifyTestMain(m) }

const want = `"request 0" -> tcp -> device -> ipc -> server -> "REQUEST 0"
"request 1" -> tcp -> device -> ipc -> server -> "REQUEST 1"
"request 2" -> tcp -> device -> ipc -> server -> "REQUEST 2"
`

func TestRun(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, run(&buf))
	require.Equal(t, want, buf.String())
}
