package main

import (
	"bytes"
	"testing"

	"github.com/spgo/sp/internal/leaktest"
	"github.com/stretchr/testify/require"
)

func TestMain(m *testing.M) { leaktest.VerifyTestMain(m) }

const want = `survey "lunch?", deadline 300ms
answer alice: yes to "lunch?"
answer bob: yes to "lunch?"
survey over: 2 of 3 answered in time
late answers dropped: 1
`

func TestRun(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, run(&buf))
	require.Equal(t, want, buf.String())
}
