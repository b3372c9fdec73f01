package main

import (
	"bytes"
	"testing"

	"github.com/spgo/sp/internal/leaktest"
	"github.com/stretchr/testify/require"
)

func TestMain(m *testing.M) { leaktest.VerifyTestMain(m) }

const want = `subscriber "weather." got "weather.paris 21C"
subscriber "weather." got "weather.oslo -3C"
subscriber "weather." got "weather.done"
subscriber "news."    got "news.sp 1.0 released"
subscriber "news."    got "news.done"
subscriber ""         got "weather.paris 21C"
subscriber ""         got "news.sp 1.0 released"
subscriber ""         got "sport.final 2-1"
subscriber ""         got "weather.oslo -3C"
subscriber ""         got "news.done"
subscriber ""         got "weather.done"
subscriber ""         got "sport.done"
`

func TestRun(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, run(&buf))
	require.Equal(t, want, buf.String())
}
