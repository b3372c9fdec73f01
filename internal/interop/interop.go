// Package interop runs the reference peers from tests: nngcat (Debian
// nng-utils, nng 1.5.2) and nanocat (Debian nanomsg-utils, nanomsg 1.1.5)
// from PATH, and the newest peers that ../shared/peers/build.sh builds and
// its env.sh names: nngcat of nng 1.12 ($NNG112/bin/nngcat) and of nng 2.0
// ($NNG20/bin/nngcat), and mangos v3.4.2's macat ($MACAT). Each is a Peer
// (NNGCat15, NNGCat112, NNGCat20, Nanocat, Macat). Tool, Start and the Peer
// methods skip the test when the command is missing, with one line saying how
// to get it, unless SP_INTEROP=require (set by .ci/run), which turns that into
// a failure.
//
// To get the newest peers locally:
//
//	../shared/peers/build.sh && source ~/.cache/sp-peers/env.sh
//
// # Cheat-sheet (every line checked against nng 1.5.2 and nanomsg 1.1.5)
//
// nngcat of nng 1.12 and 2.0 behave as 1.5.2 in everything below, checked by
// running each scenario of test/interop against all three: the same flags
// (2.0 only dropped --zt-home, as it dropped zt://), the same output formats
// byte for byte, the same exit statuses and error lines. What differs:
// --version ("1.5.2", "1.11.0" for 1.12.0, whose headers were not bumped,
// "2.0.0dev"), and what 2.0 has that the others lack (udp://, dtls://). A C
// program on libnng 2.0 must call nng_init(NULL) first and finds the
// protocols in nng.h (see test/interop/testdata/nngecho.c).
//
// Protocols, both tools: --req --rep --pub --sub --push --pull --surveyor
// --respondent. nngcat also takes --req0 etc. and --pair0/--pair1; nanocat
// has --pair (pair v0) and --bus. nngcat's bare --pair is broken in 1.5.2
// ("No protocol specified.", exit 1): always say --pair0 or --pair1. nanocat
// --pair talks to nngcat --pair0, never to --pair1.
//
// Addresses: nngcat --listen URL / --dial URL (aliases --bind/--connect);
// nanocat --bind URL / --connect URL. URLs: tcp://127.0.0.1:PORT (tcp://*:PORT
// to listen on all addresses, tcp://localhost:PORT to dial), ipc:///abs/path
// (three slashes; "ipc://rel.sock" is relative to the working directory in
// both). Avoid nngcat's -X/-x PATH shortcuts: they build "ipc:///"+PATH, so a
// relative path breaks. Both tools leave the ipc socket file behind on exit,
// and both listen fine over such a stale file; a second live listener on the
// same path fails ("Address in use").
//
// Who starts first: nngcat --dial is synchronous: with no listener it exits 1
// at once ("Unable to dial on tcp://...: Connection refused"). Start the
// listener first, or add --async to make nngcat retry in the background.
// nanocat --connect always retries in the background, so either side may
// start first. A C listener is ready a few ms after Start returns, so a Go
// dialer facing one must retry (or be started after a short wait).
//
// Output: what a peer receives is printed only with a format flag; without one
// nothing is printed. Formats, per message:
//
//	--raw      the bytes as they are, no delimiter at all (both tools)
//	--quoted   one line each, C-escaped: "hi\x01\"x\n" (identical in both; use this)
//	--hex      one line each: "\x68\x69"
//	--ascii    unprintable bytes become '.'; nanocat ends each message with '\n',
//	           nngcat 1.5.2 does NOT (messages run together): avoid it
//	--msgpack  msgpack str/bin per message, no delimiter
//
// Both flush stdout after each message, so Proc.Stdout and WaitStdout see
// output while the peer runs. Errors go to stderr.
//
// Sending: --data STR (or --file PATH). req and surveyor require it (nngcat:
// "Protocol requires either --file or --data.", exit 1); rep and respondent
// answer every request with it (an nngcat rep without --data receives but never
// replies); push, pub and pair send it.
//
// When they exit (exit status 0 unless noted):
//
//   - req --data: one request, prints the reply, exits (both tools).
//   - push/pub --data without --interval: one send, then exit. A listening pub
//     sends before anyone subscribed and the message is lost: give it --delay 1
//     or --interval 1. nngcat pub --dial delivers reliably (the dial waits for
//     the connection); nanocat pub --connect --data needs --delay (e.g. 0.3).
//   - surveyor --data: one survey, prints the answers that come within the
//     survey time (1 s), exits. It surveys at once: use --delay 1 when it
//     listens. respondent --data replies to each survey.
//   - rep, respondent, pull, sub: run until killed, unless nngcat --count N
//     (exit after N replies/messages) or --recv-timeout SEC (exit, status 0,
//     not an error, when nothing arrives for SEC s). nanocat has no --count.
//   - nngcat --count N with --interval S: N sends, S seconds apart (req,
//     push, pub, pair, surveyor surveys).
//   - pair with --data: sends once, then prints what it receives forever
//     (nanocat too, whatever its --help says). nngcat pair with --data and
//     --count needs --interval, else it fails with "Cannot set recv timeout:
//     Invalid argument" (exit 1) or hangs: use --data X --interval 1 --count N.
//   - --send-timeout SEC: nngcat exits 1 with "Send error: Timed out".
//
// nngcat's --interval, --delay, --recv-timeout and --send-timeout take whole
// seconds ("Integer argument expected." for 0.5, exit 1). nanocat accepts
// fractions for --interval and --delay but truncates --recv-timeout (0.5 makes
// it return at once). nngcat --version prints "1.5.2\n" (or "1.11.0\n",
// "2.0.0dev\n"); nanocat has no --version (exit 1).
//
// sub: without --subscribe both tools receive everything; --subscribe TOPIC
// (repeatable) filters by prefix.
//
// Examples (a Go socket is the other side):
//
//	nngcat --rep --listen tcp://127.0.0.1:PORT --data pong --quoted --count 1
//	nngcat --req --dial tcp://127.0.0.1:PORT --async --data ping --quoted
//	nanocat --rep --bind ipc:///tmp/x.sock --data pong --quoted --recv-timeout 5
//	nngcat --pub --listen tcp://127.0.0.1:PORT --data tick --interval 1
//	nngcat --sub --dial tcp://127.0.0.1:PORT --subscribe "" --quoted --count 2
//	nngcat --pull --listen tcp://127.0.0.1:PORT --quoted --count 3
//	nngcat --pair1 --dial tcp://127.0.0.1:PORT --data hi --interval 1 --count 2 --quoted
//
// # macat (mangos v3.4.2)
//
// macat takes nanocat's address flags (--bind, --connect), protocol names
// without a version (--req ... --bus, --pair, --star: the only other star),
// and Go durations (--send-interval 200ms; a bare number is whole seconds;
// there is no --interval or --delay, but --send-interval/-i and
// --send-delay/-d). Its --connect tries once, synchronously, and exits 1 with
// no listener. --count limits sends only: rep, respondent, pull, sub, and bus,
// star or pair without --data run until killed or --recv-timeout; a req
// prints the reply and exits 0. --quoted escapes as nngcat does but prints
// no surrounding double quotes: "hi" arrives as the line hi. There is no
// --version (it says "no such option", exit 1).
package interop

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// packages names the Debian package of each known tool, for skip messages.
var packages = map[string]string{"nngcat": "nng-utils", "nanocat": "nanomsg-utils"}

// Tool returns the path of the named command (e.g. "nngcat"), looked up on
// PATH. If it is missing, the test is skipped with one line saying how to get
// it, unless the environment has SP_INTEROP=require, in which case the test
// fails. Peer.Path does the same for a Peer.
func Tool(t testing.TB, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	hint := "install it"
	if pkg, ok := packages[name]; ok {
		hint = "apt-get install " + pkg
	}
	Missing(t, fmt.Sprintf("%s not found", name), hint)
	return ""
}

// Proc is a running peer process.
type Proc struct {
	name   string
	cmd    *exec.Cmd
	stdout syncBuffer
	stderr syncBuffer
	done   chan struct{} // closed when the process has exited
	err    error         // cmd.Wait's result, set before done is closed
}

// Start starts the command with args, capturing stdout and stderr; t.Cleanup
// kills it (if still running) and waits. If the test failed, the cleanup logs
// what the process printed.
func Start(t testing.TB, name string, args ...string) *Proc {
	t.Helper()
	return start(t, name, Tool(t, name), args)
}

// start starts the command at path, naming it label in messages.
func start(t testing.TB, label, path string, args []string) *Proc {
	t.Helper()
	p := &Proc{name: label + " " + strings.Join(args, " "), done: make(chan struct{})}
	p.cmd = exec.Command(path, args...)
	p.cmd.Stdout = &p.stdout
	p.cmd.Stderr = &p.stderr
	p.cmd.WaitDelay = 2 * time.Second // don't hang on pipes held by children
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("interop: start %s: %v", p.name, err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.Kill()
		if t.Failed() {
			t.Logf("interop: %s\nstdout: %s\nstderr: %s", p.name, clip(p.Stdout()), clip(p.Stderr()))
		}
	})
	return p
}

// Kill kills the process if it is still running and waits for it to exit.
func (p *Proc) Kill() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Kill() // fails only if it has just exited
	<-p.done
}

// Wait waits for the process to exit and returns its error (an *exec.ExitError
// for a non-zero status, wrapped with what it printed on stderr). If it is
// still running after timeout, Wait kills it and returns an error saying so.
func (p *Proc) Wait(timeout time.Duration) error {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case <-p.done:
	case <-timer.C:
		p.Kill()
		return fmt.Errorf("interop: %s still running after %v, killed it (stderr: %q)", p.name, timeout, p.Stderr())
	}
	if p.err != nil {
		return fmt.Errorf("interop: %s: %w (stderr: %q)", p.name, p.err, p.Stderr())
	}
	return nil
}

// Stdout returns what the process printed on stdout so far. It is safe to call
// while the process runs.
func (p *Proc) Stdout() []byte { return p.stdout.Bytes() }

// Stderr returns what the process printed on stderr so far. It is safe to call
// while the process runs.
func (p *Proc) Stderr() []byte { return p.stderr.Bytes() }

// WaitStdout polls until the process's stdout contains want, or fails the test
// (t.Fatalf, so call it from the test's goroutine) with what it got, once
// timeout has passed or the process has exited without printing want.
func (p *Proc) WaitStdout(t testing.TB, want []byte, timeout time.Duration) {
	t.Helper()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		if bytes.Contains(p.Stdout(), want) {
			return
		}
		select {
		case <-p.done:
			if bytes.Contains(p.Stdout(), want) {
				return
			}
			t.Fatalf("interop: %s exited (%v) without printing %s\ngot stdout: %s\nstderr: %s",
				p.name, p.err, clip(want), clip(p.Stdout()), clip(p.Stderr()))
		case <-timer.C:
			t.Fatalf("interop: %s did not print %s within %v\ngot stdout: %s\nstderr: %s",
				p.name, clip(want), timeout, clip(p.Stdout()), clip(p.Stderr()))
		case <-tick.C:
		}
	}
}

// FreeTCPPort returns a loopback TCP port that was free a moment ago.
func FreeTCPPort(t testing.TB) int {
	t.Helper()
	// Ports are picked below the kernel's ephemeral range (32768 and up on
	// Linux), so that no socket bound to port 0 can take one between this
	// call and its use. Each process walks the range from a random start,
	// handing each port out once: two test binaries running at once meet
	// only if one walks as far as the other's start.
	freePorts.Lock()
	defer freePorts.Unlock()
	const lo, n = 10000, 22000
	if freePorts.next == 0 {
		freePorts.next = rand.IntN(n) + 1
	}
	for range n {
		port := lo + freePorts.next%n
		freePorts.next++
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			continue
		}
		l.Close()
		return port
	}
	t.Fatalf("interop: no free port found below the ephemeral range")
	return 0
}

var freePorts struct {
	sync.Mutex
	next int // offset of the next port to try, from 1
}

// maxIPCPath is the longest socket path IPCPath returns: sun_path holds 108
// bytes on Linux (104 on the BSDs) including the terminating NUL.
const maxIPCPath = 100

// IPCPath returns a fresh ipc socket path (a file system path, not a URL: use
// "ipc://"+path) in t.TempDir(), or in a new /tmp/sp-* directory if that would
// be too long for sun_path. The file does not exist yet.
func IPCPath(t testing.TB) string {
	t.Helper()
	return ipcPathIn(t, t.TempDir())
}

// ipcPathIn is IPCPath with the preferred directory given.
func ipcPathIn(t testing.TB, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "sp.sock")
	if len(path) <= maxIPCPath {
		return path
	}
	dir, err := os.MkdirTemp("/tmp", "sp-")
	if err != nil {
		t.Fatalf("interop: make a directory for an ipc socket: %v", err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	return filepath.Join(dir, "sp.sock")
}

// syncBuffer is a bytes.Buffer safe for concurrent use.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write appends b to the buffer.
func (s *syncBuffer) Write(b []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(b)
}

// Bytes returns a copy of the buffer's contents.
func (s *syncBuffer) Bytes() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return bytes.Clone(s.buf.Bytes())
}

// clip quotes b for a log, keeping the first and last 512 bytes of a long one.
func clip(b []byte) string {
	const keep = 512
	if len(b) <= 2*keep {
		return fmt.Sprintf("%q", b)
	}
	return fmt.Sprintf("%q ...(%d bytes)... %q", b[:keep], len(b)-2*keep, b[len(b)-keep:])
}
