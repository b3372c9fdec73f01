package main

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"strconv"
	"testing"

	"github.com/spgo/sp/internal/interop"
	"github.com/stretchr/testify/require"
)

// TestShapes runs each server and client pair of the service shapes briefly
// over tcp, smaller than bench/shapes.sh runs them, and checks the line the
// measuring end prints, which the script reads.
func TestShapes(t *testing.T) {
	if testing.Short() {
		t.Skip("runs each shape for over a second")
	}
	cases := []struct {
		name           string
		server, client []string // after the URL
		serverMeasures bool
		line           *regexp.Regexp
		inline         bool // the answering end answers inline (-inline)
	}{
		{"rpc", nil, []string{"2", "3", "1", "64"}, false,
			regexp.MustCompile(`^req/s ([0-9]+) p50 ([0-9]+) us p99 ([0-9]+) us\n$`), false},
		{"survey", []string{"3", "1", "64"}, []string{"3"}, true,
			regexp.MustCompile(`^surveys/s ([0-9]+)\n$`), false},
		{"rpc", nil, []string{"2", "3", "1", "64"}, false,
			regexp.MustCompile(`^req/s ([0-9]+) p50 ([0-9]+) us p99 ([0-9]+) us\n$`), true},
		{"survey", []string{"3", "1", "64"}, []string{"3"}, true,
			regexp.MustCompile(`^surveys/s ([0-9]+)\n$`), true},
		{"fanout", []string{"3", "64"}, []string{"3", "1"}, false,
			regexp.MustCompile(`^msgs/s ([0-9]+)\n$`), false},
		{"fanin", []string{"2", "1"}, []string{"2", "0"}, true,
			regexp.MustCompile(`^msgs/s ([0-9]+)\n$`), false},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s/inline=%v", c.name, c.inline), func(t *testing.T) {
			url := fmt.Sprintf("tcp://127.0.0.1:%d", interop.FreeTCPPort(t))
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if c.inline {
				ctx = context.WithValue(ctx, inlineKey{}, true)
			}
			var sout, cout, serr, cerr bytes.Buffer
			server, client := make(chan int, 1), make(chan int, 1)
			go func() {
				server <- runShape(ctx, c.name+"_server", append([]string{url}, c.server...), &sout, &serr)
			}()
			go func() {
				client <- runShape(ctx, c.name+"_client", append([]string{url}, c.client...), &cout, &cerr)
			}()
			measured, other, out := client, server, &cout
			if c.serverMeasures {
				measured, other, out = server, client, &sout
			}
			require.Equal(t, 0, <-measured, "the measuring end's exit code; stderr: %s%s", serr.String(), cerr.String())
			cancel()
			require.Equal(t, 0, <-other, "the other end's exit code once stopped; stderr: %s%s", serr.String(), cerr.String())
			m := c.line.FindStringSubmatch(out.String())
			require.NotNil(t, m, "no result line in %q", out.String())
			for _, v := range m[1:] {
				_, err := strconv.Atoi(v)
				require.NoError(t, err)
			}
			n, _ := strconv.Atoi(m[1])
			require.Positive(t, n, "a rate of 0: %q", out.String())
		})
	}
}

func TestShapeArguments(t *testing.T) {
	for _, args := range [][]string{
		{"rpc_server"},
		{"rpc_server", "tcp://127.0.0.1:1", "8"},
		{"rpc_client", "tcp://127.0.0.1:1", "8", "8", "1"},
		{"rpc_client", "tcp://127.0.0.1:1", "0", "8", "1", "64"},
		{"rpc_client", "tcp://127.0.0.1:1", "8", "8", "x", "64"},
		{"survey_server", "tcp://127.0.0.1:1", "50", "1", "-1"},
		{"fanout_client", "tcp://127.0.0.1:1", "100", "0"},
		{"fanin_server", "bogus://x", "16", "1"},
	} {
		var out, errb bytes.Buffer
		code := run(args, &out, &errb)
		require.NotEqual(t, 0, code, "spperf %q: got exit 0, want failure", args)
		require.NotEmpty(t, errb.String(), "spperf %q printed no reason", args)
	}
}
