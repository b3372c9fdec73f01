package main

import (
	"bytes"
	"fmt"
	"regexp"
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
		{"pair1", []string{"local_lat|remote_lat", fmt.Sprintf("tcp://127.0.0.1:%d", port), "64", "200"}, latLine},
	}
	for _, c := range cases {
		t.Run(c.pattern+"/"+c.args[0], func(t *testing.T) {
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
				code := run(append([]string{"-pattern", c.pattern}, c.args...), &out, &errb)
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
	} {
		var out, errb bytes.Buffer
		code := run(args, &out, &errb)
		require.NotEqual(t, 0, code, "spperf %q: got exit 0, want failure", args)
		require.NotEmpty(t, errb.String(), "spperf %q printed no reason", args)
	}
}
