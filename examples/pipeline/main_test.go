package main

import (
	"bytes"
	"testing"

	"github.com/spgo/sp/internal/leaktest"
	"github.com/stretchr/testify/require"
)

func TestMain(m *testing.M) { leaktest.VerifyTestMain(m) }

const want = `0 squared is 0 (worker 0)
1 squared is 1 (worker 1)
2 squared is 4 (worker 2)
3 squared is 9 (worker 0)
4 squared is 16 (worker 1)
5 squared is 25 (worker 2)
`

func TestRun(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, run(&buf))
	require.Equal(t, want, buf.String())
}
