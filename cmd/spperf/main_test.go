package main

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/spgo/sp/internal/interop"
	"github.com/spgo/sp/internal/leaktest"
	"github.com/stretchr/testify/require"
)

func TestMain(m *testing.M) { leaktest.VerifyTestMain(m) }

var (
	thrLine = regexp.MustCompile(`(?m)^throughput: [0-9]+ \[msg/s\]\nthroughput: [0-9.]+ \[Mb/s\]$`)
	latLine = regexp.MustCompile(`(?m)^average latency: [0-9.]+ \[us\]$`)
)

func TestModes(t *testing.T) {
	port := interop.FreeTCPPort(t)
	cases := []struct {
		pattern string
		args    []string
		want    *regexp.Regexp
	}{
		{"pair1", []string{"inproc_thr", "64", "2000"}, thrLine},
		{"pair1", []string{"inproc_lat", "64", "200"}, latLine},
		{"pair", []string{"inproc_thr", "1024", "500"}, thrLine},
		{"pipeline", []string{"inproc_thr", "64", "2000"}, thrLine},
		{"reqrep", []string{"inproc_lat", "64", "200"}, latLine},
		{"", []string{"chan_thr", "64", "2000"}, thrLine},
		{"", []string{"chan_thr", "65536", "50"}, thrLine},
		{"", []string{"chan_thr", "0", "10"}, thrLine},
		{"", []string{"chan_lat", "64", "200"}, latLine},
		{"", []string{"chan_lat", "1024", "1"}, latLine},
		{"pair1", []string{"local_lat|remote_lat", fmt.Sprintf("tcp://127.0.0.1:%d", port), "64", "200"}, latLine},
	}
	for _, c := range cases {
		name := c.pattern + "/" + c.args[0]
		if c.pattern == "" {
			name = strings.Join(c.args, "_")
		}
		t.Run(name, func(t *testing.T) {
			var out, errb bytes.Buffer
			if c.args[0] == "local_lat|remote_lat" {
				done := make(chan int, 1)
				var lout bytes.Buffer
				go func() {
					done <- run(append([]string{"-pattern", c.pattern, "local_lat"}, c.args[1:]...), &lout, &errb)
				}()
				// The remote end dials synchronously: retry until the
				// local end listens.
				var code int
				for i := 0; i < 100; i++ {
					out.Reset()
					if code = run(append([]string{"-pattern", c.pattern, "remote_lat"}, c.args[1:]...), &out, &bytes.Buffer{}); code == 0 {
						break
					}
				}
				require.Equal(t, 0, code, "remote_lat exit code")
				require.Equal(t, 0, <-done, "local_lat exit code; stderr: %s", errb.String())
			} else {
				args := c.args
				if c.pattern != "" { // the chan baselines take no pattern
					args = append([]string{"-pattern", c.pattern}, args...)
				}
				code := run(args, &out, &errb)
				require.Equal(t, 0, code, "exit code; stderr: %s", errb.String())
			}
			require.Regexp(t, c.want, out.String())
		})
	}
}

func TestBadArguments(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"fly", "64", "10"},
		{"inproc_thr", "64"},
		{"inproc_thr", "big", "10"},
		{"inproc_thr", "64", "0"},
		{"-pattern", "nope", "inproc_thr", "64", "10"},
		{"-pattern", "reqrep", "inproc_thr", "64", "10"},
		{"remote_thr", "bogus://x", "64", "10"},
		{"chan_thr", "64"},
		{"chan_lat", "64", "0"},
		{"chan_thr", "-1", "10"},
		{"-pattern", "pair", "chan_thr", "64", "10"},
		{"-pattern", "pair1", "chan_lat", "64", "10"},
	} {
		var out, errb bytes.Buffer
		code := run(args, &out, &errb)
		require.NotEqual(t, 0, code, "spperf %q: got exit 0, want failure", args)
		require.NotEmpty(t, errb.String(), "spperf %q printed no reason", args)
	}
}

// TestChanBaselines checks what the chan baselines report, beyond the shape
// of their lines: the size and count they were given, and rates that agree
// with each other.
func TestChanBaselines(t *testing.T) {
	num := func(t *testing.T, out, re string) float64 {
		t.Helper()
		m := regexp.MustCompile(`(?m)^` + re + `$`).FindStringSubmatch(out)
		require.Len(t, m, 2, "no line %q in:\n%s", re, out)
		v, err := strconv.ParseFloat(m[1], 64)
		require.NoError(t, err)
		return v
	}
	t.Run("chan_thr", func(t *testing.T) {
		var out, errb bytes.Buffer
		require.Equal(t, 0, run([]string{"chan_thr", "1024", "3000"}, &out, &errb), "stderr: %s", errb.String())
		o := out.String()
		require.Equal(t, 1024.0, num(t, o, `message size: ([0-9]+) \[B\]`))
		require.Equal(t, 3000.0, num(t, o, `message count: ([0-9]+)`))
		require.NotContains(t, o, "messages lost")
		msgs := num(t, o, `throughput: ([0-9]+) \[msg/s\]`)
		mbits := num(t, o, `throughput: ([0-9.]+) \[Mb/s\]`)
		require.Positive(t, msgs)
		require.InEpsilon(t, msgs*1024*8/1e6, mbits, 0.01, "Mb/s must be msg/s × size")
	})
	t.Run("chan_lat", func(t *testing.T) {
		var out, errb bytes.Buffer
		require.Equal(t, 0, run([]string{"chan_lat", "64", "300"}, &out, &errb), "stderr: %s", errb.String())
		o := out.String()
		require.Equal(t, 64.0, num(t, o, `message size: ([0-9]+) \[B\]`))
		require.Equal(t, 300.0, num(t, o, `roundtrip count: ([0-9]+)`))
		require.Positive(t, num(t, o, `average latency: ([0-9.]+) \[us\]`))
	})
}
