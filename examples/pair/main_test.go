package main

import (
	"bytes"
	"testing"

	"github.com/spgo/sp/internal/leaktest"
	"github.com/stretchr/testify/require"
)

func TestMain(m *testing.M) { leaktest.VerifyTestMain(m) }

const want = `server got "hi, I am ada"
server got "hi, I am ben"
ada got "welcome, ada"
ben got "welcome, ben"
ada got "to my oldest peer"
`

func TestRun(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, run(&buf))
	require.Equal(t, want, buf.String())
}
