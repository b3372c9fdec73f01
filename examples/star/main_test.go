package main

import (
	"bytes"
	"testing"

	"github.com/spgo/sp/internal/leaktest"
	"github.com/stretchr/testify/require"
)

func TestMain(m *testing.M) { leaktest.VerifyTestMain(m) }

const want = `"hello from leaf1" heard by hub, leaf2, leaf3
"hello from hub" heard by leaf1, leaf2, leaf3
"hello from leaf3" heard by hub, leaf1, leaf2
nobody heard anything twice
`

func TestRun(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, run(&buf))
	require.Equal(t, want, buf.String())
}
