package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/spgo/sp/internal/interop"
	"github.com/stretchr/testify/require"
)

// scenario runs the tool under test (nngcat or spcat, same arguments)
// against an nngcat peer on url.
type scenario struct {
	name        string
	toolListens bool // start the tool first; else the peer (which listens) first
	tool        func(url string) []string
	peer        func(url string) []string // nil: no peer
}

// args is a shorthand for building argument lists around a URL.
func args(a ...string) func(string) []string {
	return func(url string) []string {
		out := make([]string, len(a))
		for i, s := range a {
			if s == "URL" {
				s = url
			}
			out[i] = s
		}
		return out
	}
}

var scenarios = []scenario{
	{"req-rep", false, args("--req", "--dial", "URL", "--data", "ping", "--quoted"),
		args("--rep", "--listen", "URL", "--data", "pong", "--count", "1", "--quoted")},
	{"rep-req", true, args("--rep", "--listen", "URL", "--data", "pong\x01", "--count", "2", "--hex"),
		args("--req", "--dial", "URL", "--async", "--data", "ping", "--quoted", "--count", "2", "--interval", "1")},
	{"sub-pub", false, args("--sub", "--dial", "URL", "--count", "2", "--quoted", "--subscribe", "ti"),
		args("--pub", "--listen", "URL", "--data", "tick", "--interval", "1")},
	{"pull-push", true, args("--pull", "--listen", "URL", "--count", "3", "--msgpack"),
		args("--push", "--dial", "URL", "--async", "--data", "x\ty", "--count", "3")},
	{"push-pull", false, args("--push", "--dial", "URL", "--data", "abc", "--count", "2", "--interval", "1"),
		args("--pull", "--listen", "URL", "--count", "2", "--ascii")},
	{"pair1", true, args("--pair1", "--listen", "URL", "--data", "hi", "--interval", "1", "--count", "2", "--quoted"),
		args("--pair1", "--dial", "URL", "--async", "--data", "yo", "--quoted", "--recv-timeout", "3")},
	{"pub-sub", true, args("--pub", "--listen", "URL", "--data", "tock", "--interval", "1", "--count", "3"),
		args("--sub", "--dial", "URL", "--async", "--count", "2", "--quoted")},
	{"pair0", true, args("--pair0", "--listen", "URL", "--data", "hi", "--interval", "1", "--count", "2", "--quoted"),
		args("--pair0", "--dial", "URL", "--async", "--data", "yo", "--quoted", "--recv-timeout", "3")},
	{"bus", true, args("--bus", "--listen", "URL", "--data", "b1", "--interval", "1", "--count", "2", "--quoted"),
		// Not --async: nng's bus drops what is sent before its pipe is up.
		args("--bus", "--dial", "URL", "--data", "b2", "--quoted", "--recv-timeout", "3")},
	{"surveyor", true, args("--surveyor", "--listen", "URL", "--data", "q", "--delay", "1", "--quoted"),
		args("--respondent", "--dial", "URL", "--async", "--data", "ans", "--count", "1", "--quoted")},
	{"respondent", false, args("--respondent", "--dial", "URL", "--data", "ans", "--count", "1", "--raw"),
		args("--surveyor", "--listen", "URL", "--data", "q", "--delay", "1", "--quoted")},
	{"send-timeout", true, args("--push", "--listen", "URL", "--data", "x", "--send-timeout", "1"), nil},
	{"recv-timeout", true, args("--pull", "--listen", "URL", "--recv-timeout", "1", "--quoted"), nil},
	{"rep-recv-timeout", true, args("--rep", "--listen", "URL", "--data", "x", "--recv-timeout", "1"), nil},
	{"req-recv-timeout", false, args("--req", "--dial", "URL", "--data", "x", "--recv-timeout", "1", "--quoted"),
		args("--rep", "--listen", "URL", "--count", "1", "--quoted")},
	{"addr-in-use", false, args("--push", "--listen", "URL", "--data", "x"),
		args("--pull", "--listen", "URL", "--recv-timeout", "3")},
	{"verbose-dial", false, args("--req", "--dial", "URL", "--data", "x", "-v", "--quoted"),
		args("--rep", "--listen", "URL", "--data", "y", "--count", "1")},
}

// side runs one side-by-side round with the named tool, its peer run by
// cat, and returns the tool's result and what the peer printed.
func side(t *testing.T, tool string, cat interop.Peer, sc scenario, url string) (result, string) {
	var peer *interop.Proc
	startPeer := func() {
		if sc.peer != nil {
			peer = cat.Start(t, sc.peer(url)...)
		}
	}
	if !sc.toolListens {
		startPeer()
		time.Sleep(300 * time.Millisecond)
	}
	done := make(chan result, 1)
	go func() {
		if tool == "spcat" {
			done <- runSpcat("", sc.tool(url)...)
		} else {
			done <- runNngcatNoFatal(tool, sc.tool(url)...)
		}
	}()
	if sc.toolListens && sc.peer != nil {
		// Without a peer there is nothing to wait for; a tool with a 1 s
		// receive timeout may even be gone before a starved poll sees it.
		waitListening(t, url)
		startPeer()
	}
	var got result
	select {
	case got = <-done:
	case <-time.After(20 * time.Second):
		t.Fatalf("%s %q did not finish", tool, sc.tool(url))
	}
	if peer == nil {
		return got, ""
	}
	_ = peer.Wait(4 * time.Second) // peers that never end are killed
	return got, string(peer.Stdout())
}

// waitListening waits until something listens on url, without connecting
// to it (a probe connection would be a peer to the tool): a tcp port in
// LISTEN state in /proc/net/tcp{,6}, an ipc socket file. Where it cannot
// tell, it waits 300 ms.
func waitListening(t *testing.T, url string) {
	t.Helper()
	listening := func() (ok, known bool) {
		if path, isIPC := strings.CutPrefix(url, "ipc://"); isIPC {
			_, err := os.Stat(path)
			return err == nil, true
		}
		_, port, err := net.SplitHostPort(strings.TrimPrefix(url, "tcp://"))
		if err != nil {
			return false, false
		}
		n, err := strconv.Atoi(port)
		if err != nil {
			return false, false
		}
		want := fmt.Sprintf(":%04X ", n)
		for _, f := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
			b, err := os.ReadFile(f)
			if err != nil {
				return false, false
			}
			for _, line := range strings.Split(string(b), "\n") {
				fields := strings.Fields(line)
				// local_address is field 1, st is field 3 (0A: LISTEN).
				if len(fields) > 3 && strings.HasSuffix(fields[1]+" ", want) && fields[3] == "0A" {
					return true, true
				}
			}
		}
		return false, true
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		ok, known := listening()
		if !known {
			time.Sleep(300 * time.Millisecond)
			return
		}
		if ok {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("nothing listens on %s after 10 s", url)
}

// runNngcatNoFatal runs nngcat from any goroutine (path is its path).
func runNngcatNoFatal(path string, args ...string) result {
	cmd := exec.Command(path, args...)
	cmd.WaitDelay = time.Second
	out, errb := &syncBuf{}, &syncBuf{}
	cmd.Stdout, cmd.Stderr = out, errb
	err := cmd.Run()
	code := 0
	if err != nil {
		code = -1
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
	}
	return result{out.String(), errb.String(), code}
}

// sideSlots bounds the scenarios that run at once. Each runs four
// processes (or three and spcat in the test's) on a timetable of 1 s
// intervals and 3 s receive timeouts; all 22 at once, beside the other
// packages' tests, starved them past it on this 2-core machine, and the
// two runs of a scenario printed different things.
var sideSlots = make(chan struct{}, 4)

// TestSideBySide runs each scenario with nngcat and with spcat, against the
// same kind of nngcat peer, and compares stdout, stderr and exit status of
// the tool, and what the peer printed; for each nngcat: 1.5 (Debian), 1.12
// and 2.0 (../shared/peers/build.sh), the tool and its peer of one version.
func TestSideBySide(t *testing.T) {
	for _, v := range interop.NNGCats {
		t.Run(v.Name, func(t *testing.T) { sideBySide(t, v) })
	}
}

func sideBySide(t *testing.T, v interop.Peer) {
	nngcat := v.Path(t)
	onIPC := map[string]bool{"req-rep": true, "pull-push": true, "surveyor": true, "pair1": true}
	for _, tr := range []string{"tcp", "ipc"} {
		for _, sc := range scenarios {
			if tr == "ipc" && !onIPC[sc.name] {
				continue
			}
			t.Run(tr+"/"+sc.name, func(t *testing.T) {
				t.Parallel()
				sideSlots <- struct{}{}
				defer func() { <-sideSlots }()
				url := func() string {
					if tr == "ipc" {
						return "ipc://" + interop.IPCPath(t)
					}
					return fmt.Sprintf("tcp://127.0.0.1:%d", interop.FreeTCPPort(t))
				}
				type out struct {
					r    result
					peer string
				}
				// Both runs are timed (intervals, receive timeouts): under
				// load one may miss a beat the other made. A difference
				// counts if it comes again in a second pair of runs.
				for try := 1; ; try++ {
					urlN, urlS := url(), url()
					nc := make(chan out, 1)
					go func() {
						var o out
						defer func() { nc <- o }() // also after a t.Fatalf in side
						o.r, o.peer = side(t, nngcat, v, sc, urlN)
					}()
					rs, ps := side(t, "spcat", v, sc, urlS)
					n := <-nc
					// The URL differs between the two runs; mask it.
					mask := func(s, url string) string { return replaceAll(s, url, "URL") }
					want := []string{mask(n.r.Stdout, urlN), mask(n.r.Stderr, urlN), strconv.Itoa(n.r.Code), n.peer}
					got := []string{mask(rs.Stdout, urlS), mask(rs.Stderr, urlS), strconv.Itoa(rs.Code), ps}
					if try == 1 && !slices.Equal(want, got) {
						t.Logf("the runs differ (nngcat, then spcat: stdout, stderr, exit status, peer's output):\n%q\n%q\nrunning both again", want, got)
						continue
					}
					require.Equal(t, want[0], got[0], "stdout")
					require.Equal(t, want[1], got[1], "stderr")
					require.Equal(t, want[2], got[2], "exit status")
					require.Equal(t, want[3], got[3], "what the peer printed")
					return
				}
			})
		}
	}
}

func replaceAll(s, old, new string) string {
	out := ""
	for {
		i := indexOf(s, old)
		if i < 0 {
			return out + s
		}
		out += s[:i] + new
		s = s[i+len(old):]
	}
}

func indexOf(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}

// TestBinaryExit builds spcat and checks exit statuses and streams of the
// real command.
func TestBinaryExit(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "spcat")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Stderr = os.Stderr
	require.NoError(t, build.Run())
	for _, tc := range []struct {
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{[]string{"--version"}, 0, "1.5.2\n", ""},
		{[]string{"--nope"}, 1, "", "Option --nope is invalid.\n"},
		{[]string{"--req", "--dial", "tcp://[::1", "--data", "x"}, 1, "", "Unable to create dialer for tcp://[::1: Address invalid\n"},
		{[]string{"--pull", "--listen", "ipc:///nonexistent-dir/x.sock", "--recv-timeout", "1"}, 1, "", ""},
		{[]string{"--pull", "--listen", "tcp://127.0.0.1:0", "--recv-timeout", "0.2"}, 0, "", ""},
	} {
		cmd := exec.Command(bin, tc.args...)
		out, errb := &syncBuf{}, &syncBuf{}
		cmd.Stdout, cmd.Stderr = out, errb
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
		require.Equal(t, tc.code, code, "%q: %s", tc.args, errb.String())
		require.Equal(t, tc.stdout, out.String(), "%q", tc.args)
		if tc.stderr != "" || tc.code == 0 {
			require.Equal(t, tc.stderr, errb.String(), "%q", tc.args)
		} else {
			require.Regexp(t, `^Unable to listen on ipc:///nonexistent-dir/x.sock: .+\n$`, errb.String())
		}
	}
}

func TestBoundURL(t *testing.T) {
	a := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 4242}
	for in, want := range map[string]string{
		"tcp://127.0.0.1:0": "tcp://127.0.0.1:4242",
		"tcp://*:0":         "tcp://:4242",
		"tcp://:0":          "tcp://:4242",
		"tcp://localhost:0": "tcp://localhost:4242",
		"ws://*:0/path":     "ws://:4242/path",
		"tls+tcp://[::1]:0": "tls+tcp://[::1]:4242",
		"ipc:///tmp/x.sock": "ipc:///tmp/x.sock",
		"inproc://name":     "inproc://name",
	} {
		var addr net.Addr = a
		if in[:3] == "ipc" || in[:3] == "inp" {
			addr = &net.UnixAddr{Name: "x"}
		}
		require.Equal(t, want, boundURL(in, addr), in)
	}
}

// TestListenVerbose checks "Listening at:" with the port bound for port 0,
// as nngcat prints it.
func TestListenVerbose(t *testing.T) {
	r := runSpcat("", "--pull", "--listen", "tcp://*:0", "-v", "--recv-timeout", "0.1")
	require.Equal(t, 0, r.Code, r.Stderr)
	require.Regexp(t, `^Listening at: tcp://:\d+\n$`, r.Stdout)
	n := runNngcat(t, "", "--pull", "--listen", "tcp://*:0", "-v", "--recv-timeout", "1")
	require.Regexp(t, `^Listening at: tcp://:\d+\n$`, n.Stdout)
}
