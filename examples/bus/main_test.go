package main

import (
	"bytes"
	"testing"

	"github.com/spgo/sp/internal/leaktest"
	"github.com/stretchr/testify/require"
)

func TestMain(m *testing.M) { leaktest.VerifyTestMain(m) }

const want = `north heard "hello from east", "hello from west"
east  heard "hello from north", "hello from west"
west  heard "hello from east", "hello from north"
`

func TestRun(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, run(&buf))
	require.Equal(t, want, buf.String())
}
