package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spgo/sp"
	"github.com/stretchr/testify/require"
)

const refused = "tcp://127.0.0.1:1" // nobody listens on port 1

// flagCases are command lines that fail before or at the first dial, with
// what nngcat 1.5.2 prints for them (stderr, exit status 1).
var flagCases = []struct {
	args   []string
	stderr string
}{
	{[]string{"--bogus"}, "Option --bogus is invalid."},
	{[]string{"--req"}, "No address specified."},
	{[]string{"--req", "--dial"}, "Option --dial requires argument."},
	{[]string{"--req", "--dial=" + refused, "--data", "x"}, "Unable to dial on " + refused + ": Connection refused"},
	{[]string{"--req", "--connect:" + refused, "-Dx"}, "Unable to dial on " + refused + ": Connection refused"},
	{[]string{"--re", "--dial", refused}, "Option --re is ambiguous (specify in full)."},
	{[]string{"--bus", "--dial", refused}, "Unable to dial on " + refused + ": Connection refused"},
	{[]string{"--ver=1"}, "Option --ver=1 is ambiguous (specify in full)."},
	{[]string{"--req", "--rep"}, "Only one protocol may be specified."},
	{[]string{"--req0", "--pub0"}, "Only one protocol may be specified."},
	{[]string{"--req", "-Cx"}, "Integer argument expected."},
	{[]string{"--req", "-C=5"}, "Integer argument expected."},
	{[]string{"--req", "--count", "-1"}, "Integer argument expected."},
	{[]string{"--req", "--dial", refused, "--data", "x", "-C", "2147483648"}, "Integer argument overflow."},
	{[]string{"--req", "--dial", refused, "--data", "x", "-C", "4294967297"}, "Unable to dial on " + refused + ": Connection refused"},
	{[]string{"--req", "--dial", refused, "--data", "x", "-d", "86401x"}, "Integer argument too large."},
	{[]string{"--req", "--dial", refused, "--data", "x", "--interval", ""}, "Empty integer argument."},
	{[]string{"--req", "--dial", refused, "--data", "x", "--recv-timeout", "0x10"}, "Integer argument expected."},
	{[]string{"--req", "--dial", refused, "--data", "x", "--format", "bad"}, "Invalid format specified."},
	{[]string{"--req", "--dial", refused, "--data", "x", "--format", "hex", "-A"}, "Format may be specified only once."},
	{[]string{"--req", "--dial", refused, "--data", "x", "-Q", "--quoted"}, "Format may be specified only once."},
	{[]string{"--req", "--dial", refused, "--data", "x", "--file", "/nonexistent"}, "Data (--file, --data) may be specified only once."},
	{[]string{"--req", "--dial", refused, "--file", "/nonexistent"}, "Cannot open file /nonexistent: No such file or directory"},
	{[]string{"--req", "--dial", refused, "-F", "/"}, "Read from / failed: Is a directory"},
	{[]string{"--req", "--dial", "foo://x", "--data", "x"}, "Unable to create dialer for foo://x: Not supported"},
	{[]string{"--req", "--dial", "notaurl", "--data", "x"}, "Unable to create dialer for notaurl: Invalid argument"},
	{[]string{"--req", "--listen", "tcp://127.0.0.1:99999", "--data", "x"}, "Unable to create listener for tcp://127.0.0.1:99999: Address invalid"},
	{[]string{"--req", "--listen", "tcp://192.0.2.1:5000", "--data", "x"}, "Unable to listen on tcp://192.0.2.1:5000: Address invalid"},
	{[]string{"--pull", "--dial", refused, "--data", "x", "--interval", "1"}, "Protocol does not support --file or --data."},
	{[]string{"--sub", "--dial", refused, "--interval", "1"}, "Protocol does not support --interval."},
	{[]string{"--push", "--dial", refused, "--ascii"}, "Protocol does not support --format options."},
	{[]string{"--pub", "--dial", refused, "--format", "no"}, "Protocol does not support --format options."},
	{[]string{"--push", "--dial", refused}, "Protocol requires either --file or --data."},
	{[]string{"--surveyor", "--dial", refused}, "Protocol requires either --file or --data."},
	{[]string{"--req", "--dial", refused, "extra", "--data", "x"}, "Protocol requires either --file or --data."},
	{[]string{"--req", "--dial", refused, "-", "--data", "x"}, "Protocol requires either --file or --data."},
	{[]string{"--req", "--dial", refused, "--", "--data", "x"}, "Option -- is ambiguous (specify in full)."},
	{[]string{"--rep", "--dial", refused, "--interval", "1"}, "Protocol does not support --interval."},
	{[]string{"--pair1", "--dial", refused, "--interval", "1"}, "Option --interval requires either --file or --data."},
	{[]string{"--req", "--dial", refused, "--subscribe", "x"}, "Protocol does not support --subscribe."},
	{[]string{"--dial", refused, "--subscribe", "x"}, "Protocol does not support --subscribe."},
	{[]string{"--dial", refused, "--data", "x"}, "No protocol specified."},
	{[]string{"--sub", "--dial", refused, "--compat", "--async"}, "Options --async and --compat are incompatible."},
	{[]string{"--sub", "--dial", refused, "--compat", "--count", "1"}, "Options --count and --compat are incompatible."},
	{[]string{"--pair1", "--dial", refused, "--compat"}, "Protocol does not support --compat."},
	{[]string{"--sub", "-l", "1", "-v", "-q"}, "Unable to dial on " + refused + ": Connection refused"},
	{[]string{"--sub", "--dial", refused, "--cacert", "/nonexistent"}, "Cannot open file /nonexistent: No such file or directory"},
	{[]string{"--sub", "--dial", refused, "-E", "/nonexistent"}, "Cannot open file /nonexistent: No such file or directory"},
	{[]string{"--sub", "--dial", refused, "--key", "/nonexistent"}, "Cannot open file /nonexistent: No such file or directory"},
	{[]string{"--sub", "--dial", refused, "--zt-home", "/x", "--socket", "y", "-k", "-Z", "100"}, "Unable to dial on " + refused + ": Connection refused"},
	{[]string{"-qv", "--req"}, "Option -qv is invalid."},
	{[]string{"--req=x"}, "Option --req=x is invalid."},
	{[]string{"--req", "--dial", refused, "-D"}, "Option -D requires argument."},
	{[]string{"--bogus", "--help"}, "Option --bogus is invalid."},
}

func TestFlagErrors(t *testing.T) {
	for _, tc := range flagCases {
		got := runSpcat("", tc.args...)
		require.Equal(t, result{"", tc.stderr + "\n", 1}, got, "spcat %q", tc.args)
	}
}

// TestFlagErrorsAgainstNngcat checks the table above against nngcat itself.
func TestFlagErrorsAgainstNngcat(t *testing.T) {
	for _, tc := range flagCases {
		got := runNngcat(t, "", tc.args...)
		require.Equal(t, result{"", tc.stderr + "\n", 1}, got, "nngcat %q", tc.args)
	}
}

func TestHelpAndVersion(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"-h"}, {"--req", "--hel", "--bogus"}} {
		got := runSpcat("", args...)
		require.Equal(t, 1, got.Code)
		require.Equal(t, usage, got.Stdout)
		require.Empty(t, got.Stderr)
	}
	for _, args := range [][]string{{"--version"}, {"-V", "--bogus"}, {"--vers"}} {
		require.Equal(t, result{"1.5.2\n", "", 0}, runSpcat("", args...))
	}
	// nngcat's usage is spcat's, less the name and the extra protocols.
	n := runNngcat(t, "", "--help")
	want := strings.Replace(usage, "spcat", "nngcat", 1)
	want = strings.Replace(want, "  --bus0                 (or alias --bus)\n  --star\n", "", 1)
	want = strings.Replace(want, "  --stats                (print the socket's statistics as JSON on stderr at exit)\n", "", 1)
	require.Equal(t, result{want, "", 1}, n)
}

func TestParse(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "data")
	require.NoError(t, os.WriteFile(file, []byte("from file"), 0o600))
	tests := []struct {
		args  []string
		stdin string
		check func(t *testing.T, c *config)
	}{
		{[]string{"--pair", "--dial", refused}, "", func(t *testing.T, c *config) {
			require.Equal(t, optPair1, c.proto) // nngcat 1.5.2: "No protocol specified."
		}},
		{[]string{"--pair", "--dial", refused, "--compat"}, "", func(t *testing.T, c *config) {
			require.Equal(t, optPair0, c.proto)
			require.True(t, c.async)
		}},
		{[]string{"--star", "-X", "tmp/x", "-x", "/abs", "-L", "5", "--bind", "ws://*:0/p"}, "", func(t *testing.T, c *config) {
			require.Equal(t, optStar, c.proto)
			require.Equal(t, []address{{true, "ipc:///tmp/x"}, {false, "ipc:////abs"},
				{true, "tcp://127.0.0.1:5"}, {true, "ws://*:0/p"}}, c.addrs)
		}},
		{[]string{"--push", "-l5", "--file", "-", "-d", "0.5", "-i", ".25", "--send-timeout=1.5", "--recv-timeout:2", "-C7"}, "stdin data", func(t *testing.T, c *config) {
			require.Equal(t, "stdin data", string(c.data))
			require.Equal(t, 500*time.Millisecond, c.delay)
			require.Equal(t, 250*time.Millisecond, c.interval)
			require.Equal(t, 1500*time.Millisecond, c.sendTimeout)
			require.Equal(t, 2*time.Second, c.recvTimeout)
			require.Equal(t, 7, c.count)
		}},
		{[]string{"--sub0", "--connect", refused, "--subscribe", "a", "--subscribe=", "--verb", "--form", "quoted"}, "", func(t *testing.T, c *config) {
			require.Equal(t, []string{"a", ""}, c.topics)
			require.True(t, c.verbose)
			require.Equal(t, "quoted", c.format)
		}},
		{[]string{"--sub", "--dial", refused}, "", func(t *testing.T, c *config) {
			require.Equal(t, []string{""}, c.topics) // everything
			require.Equal(t, time.Duration(-1), c.interval)
		}},
		{[]string{"--req", "--dial", refused, "-F", file, "-Z", "0"}, "", func(t *testing.T, c *config) {
			require.Equal(t, "from file", string(c.data))
			require.Equal(t, 0, c.recvMaxSize)
		}},
		{[]string{"--req", "--dial", refused, "--data="}, "", func(t *testing.T, c *config) {
			require.NotNil(t, c.data)
			require.Empty(t, c.data)
		}},
	}
	for _, tt := range tests {
		c, err := parseArgs(tt.args, strings.NewReader(tt.stdin))
		require.NoError(t, err, "%q", tt.args)
		tt.check(t, c)
	}
	for _, bad := range []string{"1.2.3", ".", "-0.5", "1e3", "86400.5", "0x1"} {
		_, err := secsArg(bad)
		require.Error(t, err, bad)
	}
}

// TestStats: --stats prints the socket's statistics as JSON on stderr at
// exit, counting what moved, and leaves stdout as it was.
func TestStats(t *testing.T) {
	url := "inproc://" + t.Name()
	done := make(chan int, 1)
	var out, errb bytes.Buffer
	go func() {
		done <- run([]string{"--pull0", "--listen", url, "--raw", "--count", "2", "--stats"}, nil, &out, &errb)
	}()
	var code int
	for i := 0; i < 200; i++ {
		if code = run([]string{"--push0", "--dial", url, "--data", "hello", "--count", "2"}, nil, &bytes.Buffer{}, &bytes.Buffer{}); code == 0 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	require.Equal(t, 0, code, "push exit code")
	require.Equal(t, 0, <-done, "pull exit code; stderr: %s", errb.String())
	require.Equal(t, "hellohello", out.String(), "stdout")
	var st sp.SocketStats
	require.NoError(t, json.Unmarshal(errb.Bytes(), &st), "stderr: %s", errb.String())
	require.Equal(t, "pull", st.Protocol)
	require.Equal(t, uint64(2), st.MsgsRecv, "messages received")
}
