package main

import (
	"bytes"
	"testing"

	"github.com/spgo/sp/internal/leaktest"
	"github.com/stretchr/testify/require"
)

func TestMain(m *testing.M) { leaktest.VerifyTestMain(m) }

const want = `client 0: "ann: hello" -> "ANN: HELLO"
client 0: "ann: thanks" -> "ANN: THANKS"
client 1: "bob: hello" -> "BOB: HELLO"
client 1: "bob: thanks" -> "BOB: THANKS"
client 2: "cyd: hello" -> "CYD: HELLO"
client 2: "cyd: thanks" -> "CYD: THANKS"
server: 6 requests answered, 2 at a time
`

func TestRun(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, run(&buf))
	require.Equal(t, want, buf.String())
}
