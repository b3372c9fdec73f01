// Package interop_test checks that sp sockets interoperate on the wire with the
// reference implementations: nngcat of nng 1.5.2 (Debian), 1.12 and 2.0,
// nanocat of nanomsg 1.1, and macat of mangos v3.4.2 (see internal/interop for
// where each comes from).
//
// Every pattern (req/rep, pub/sub, push/pull, pair v0, survey) runs against
// every nngcat version and nanocat, over tcp and ipc, with sp listening and
// with sp dialing, and with sp on each side of asymmetric patterns; req/rep,
// bus and star run against macat too. Payloads carry every byte value (0x00
// and 0xff included) and one is 64 KiB; the peers read them with --file and
// print what they receive with --raw, so the comparison is byte for byte.
//
// The tests skip when a tool is missing (one line says how to get it), unless
// SP_INTEROP=require.
package interop_test

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/interop"
	"github.com/spgo/sp/internal/leaktest"
)

func TestMain(m *testing.M) {
	// The subtests mostly wait on C processes, and some of those only act
	// once a second: run many at once even on a machine with few cores,
	// unless -test.parallel says otherwise.
	flag.Parse()
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "test.parallel" })
	if !set {
		_ = flag.Set("test.parallel", strconv.Itoa(max(16, 4*runtime.GOMAXPROCS(0))))
	}
	leaktest.VerifyTestMain(m)
}

// timeout bounds every single wait of a test: a message that has not arrived
// by then is not coming. Passing cases take milliseconds (a C pub that repeats
// once a second, about a second).
const timeout = 5 * time.Second

// tool describes one peer's command line.
type tool struct {
	name string       // in subtest names and messages: the peer's Name
	peer interop.Peer // where to find it
	nng  bool         // nngcat's flags, else nanocat's (macat's are nanocat's)
	ma   bool         // macat (mangos): durations with units, no --count for receivers
}

// The peers, by kind. Every nngcat version takes the same flags and prints
// the same formats (nng 2.0 only dropped --zt-home, which no test uses); where
// a version behaves differently, the test says so where it checks.
var (
	nngcats = []tool{
		{name: interop.NNGCat15.Name, peer: interop.NNGCat15, nng: true},
		{name: interop.NNGCat112.Name, peer: interop.NNGCat112, nng: true},
		{name: interop.NNGCat20.Name, peer: interop.NNGCat20, nng: true},
	}
	nanocat = tool{name: interop.Nanocat.Name, peer: interop.Nanocat}
	macat   = tool{name: interop.Macat.Name, peer: interop.Macat, ma: true}
	// tools are the C peers: every nngcat, and nanocat.
	tools = append(slices.Clone(nngcats), nanocat)
)

// start starts the tool with args (skipping or failing the test if it is
// missing).
func (tl tool) start(t *testing.T, args ...string) *interop.Proc {
	t.Helper()
	return tl.peer.Start(t, args...)
}

// path returns the tool's command, skipping (or failing) the test if it is
// missing.
func (tl tool) path(t *testing.T) string {
	t.Helper()
	return tl.peer.Path(t)
}

// proto returns the flag that selects a protocol ("req", "pair", ...): nngcat
// has versioned names (its bare --pair is broken in every version), nanocat
// and macat have not.
func (tl tool) proto(name string) string {
	if tl.nng {
		return "--" + name + "0"
	}
	return "--" + name
}

// addr returns the flags that make the tool listen on, or dial, url.
func (tl tool) addr(listen bool, url string) []string {
	switch {
	case listen && tl.nng:
		return []string{"--listen", url}
	case listen:
		return []string{"--bind", url}
	case tl.nng:
		return []string{"--dial", url}
	default:
		return []string{"--connect", url}
	}
}

// count returns the flags that make the tool exit after n messages, where it
// can (nanocat cannot: the test kills it).
func (tl tool) count(n int) []string {
	if tl.nng {
		return []string{"--count", strconv.Itoa(n)}
	}
	return nil
}

// every returns the flags that make the tool send every d: nngcat takes
// whole seconds (d is rounded up), nanocat fractions of one, macat a Go
// duration (a bare number is whole seconds there too).
func (tl tool) every(d time.Duration) []string {
	switch {
	case tl.nng:
		return []string{"--interval", strconv.Itoa(int(math.Ceil(d.Seconds())))}
	case tl.ma:
		return []string{"--send-interval", d.String()}
	default:
		return []string{"--interval", strconv.FormatFloat(d.Seconds(), 'f', -1, 64)}
	}
}

// transport makes fresh addresses of one scheme.
type transport struct {
	name string
	// free returns a URL no one listens on, for a C listener.
	free func(t *testing.T) string
	// any returns a URL for an sp listener; it may ask for any port.
	any func(t *testing.T) string
}

var transports = []transport{
	{
		name: "tcp",
		free: func(t *testing.T) string { return fmt.Sprintf("tcp://127.0.0.1:%d", interop.FreeTCPPort(t)) },
		any:  func(*testing.T) string { return "tcp://127.0.0.1:0" },
	},
	{
		name: "ipc",
		free: func(t *testing.T) string { return "ipc://" + interop.IPCPath(t) },
		any:  func(t *testing.T) string { return "ipc://" + interop.IPCPath(t) },
	},
}

// payload is one message body and its name in subtest names.
type payload struct {
	name string
	b    []byte
}

// payloads: every byte value, in order (it starts with 0x00, ends with 0xff),
// and 64 KiB of seeded random bytes.
var payloads = []payload{
	{"bytes", allBytes(false)},
	{"64k", randomBytes(64<<10, 1)},
}

// answer returns a second payload of the same kind as p, different from it,
// for the other direction of an exchange (a reply, the C side of a pair).
func answer(p payload) []byte {
	if len(p.b) == 256 {
		// Backwards: it starts with 0xff 0xfe 0xfd 0xfc, which reads as a
		// request id with the top bit set if a header parser overreaches.
		return allBytes(true)
	}
	return randomBytes(len(p.b), 2)
}

func allBytes(reverse bool) []byte {
	b := make([]byte, 256)
	for i := range b {
		b[i] = byte(i)
	}
	if reverse {
		slices.Reverse(b)
	}
	return b
}

func randomBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 0x5350))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// writeFile writes b to a fresh file for a tool's --file and returns its path.
func writeFile(t *testing.T, b []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "payload")
	require.NoError(t, os.WriteFile(path, b, 0o600))
	return path
}

// forEach runs fn as a parallel subtest named tool/transport/role-verb/payload
// for every tool of tls, transport, role, direction of connection and payload.
// A role is "sp-<protocol>" (the sp side); verb is "listens" or "dials", for
// the sp side too.
func forEach(t *testing.T, tls []tool, roles []string, fn func(t *testing.T, tl tool, tr transport, role string, spListens bool, p payload)) {
	for _, tl := range tls {
		for _, tr := range transports {
			for _, role := range roles {
				for _, spListens := range []bool{true, false} {
					for _, p := range payloads {
						verb := "dials"
						if spListens {
							verb = "listens"
						}
						name := fmt.Sprintf("%s/%s/%s-%s/%s", tl.name, tr.name, role, verb, p.name)
						t.Run(name, func(t *testing.T) {
							t.Parallel()
							tl.path(t) // skip (or fail) early if missing
							fn(t, tl, tr, role, spListens, p)
						})
					}
				}
			}
		}
	}
}

// newSocket makes an sp socket with bounded send and receive timeouts, closed
// when the test ends.
func newSocket(t *testing.T, ctor func() (sp.Socket, error)) sp.Socket {
	t.Helper()
	s, err := ctor()
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	require.NoError(t, sp.SetOption(s, sp.SendTimeout, timeout))
	require.NoError(t, sp.SetOption(s, sp.RecvTimeout, timeout))
	return s
}

// listen makes s listen on a fresh address of tr and returns the URL a peer
// dials (for tcp, with the port the listener chose).
func listen(t *testing.T, s sp.Socket, tr transport) string {
	t.Helper()
	l, err := s.NewListener(tr.any(t))
	require.NoError(t, err)
	require.NoError(t, l.Listen())
	if tr.name == "tcp" {
		return fmt.Sprintf("tcp://%s", l.Addr().String())
	}
	return l.URL()
}

// dial makes s dial url in the background, retrying quickly: the C listener
// it faces may not be bound yet.
func dial(t *testing.T, s sp.Socket, url string) {
	t.Helper()
	require.NoError(t, s.Dial(url, sp.With(sp.ReconnectMin, 10*time.Millisecond),
		sp.With(sp.ReconnectMax, 100*time.Millisecond)))
}

// connect sets up the connection between s and a C tool that takes
// toolArgs (protocol, format, data: everything but the address). With
// spListens, s listens first and the tool dials; otherwise the tool listens
// and s dials. It returns the running tool.
func connect(t *testing.T, s sp.Socket, tl tool, tr transport, spListens bool, toolArgs ...string) *interop.Proc {
	t.Helper()
	if spListens {
		url := listen(t, s, tr)
		return tl.start(t, append(tl.addr(false, url), toolArgs...)...)
	}
	url := tr.free(t)
	p := tl.start(t, append(tl.addr(true, url), toolArgs...)...)
	dial(t, s, url)
	return p
}

// ctx returns a context that ends after timeout or with the test.
func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), timeout)
	t.Cleanup(cancel)
	return c
}

// requireBytes fails unless got is exactly want, with a short message (the
// payloads are too long to print whole).
func requireBytes(t *testing.T, want, got []byte, what string) {
	t.Helper()
	if bytes.Equal(want, got) {
		return
	}
	i := 0
	for i < len(want) && i < len(got) && want[i] == got[i] {
		i++
	}
	t.Fatalf("%s: got %d bytes, want %d; first difference at offset %d\n got: %s\nwant: %s",
		what, len(got), len(want), i, excerpt(got, i), excerpt(want, i))
}

func excerpt(b []byte, i int) string {
	lo, hi := max(i-8, 0), min(i+8, len(b))
	return fmt.Sprintf("[%d:%d] % x", lo, hi, b[lo:hi])
}

// waitExact waits for the tool to have printed want and then checks that it
// printed nothing else. An nngcat given count exits by itself, and its exit
// status is checked too, but for one known fault of nng 2.0's: now and then
// (2 runs in some 300 of TestTLSReqRep against it, under load) nngcat 2.0
// aborts (SIGABRT, nothing on stderr) while it tears down after a complete,
// correct exchange; that is logged, not failed, since what crossed the
// wire was right (the output is still checked).
func waitExact(t *testing.T, p *interop.Proc, tl tool, want []byte, exits bool) {
	t.Helper()
	p.WaitStdout(t, want, timeout)
	if exits {
		if err := p.Wait(timeout); err != nil && tl.peer == interop.NNGCat20 && abortedAtExit(err) {
			t.Logf("%s aborted at exit after the exchange (a fault of nng 2.0's teardown): %v", tl.name, err)
		} else {
			require.NoError(t, err)
		}
	}
	requireBytes(t, want, p.Stdout(), tl.name+" printed")
}

// abortedAtExit reports whether err says the process died of SIGABRT.
func abortedAtExit(err error) bool {
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return false
	}
	ws, ok := ee.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && ws.Signal() == syscall.SIGABRT
}

// logSink is an slog.Handler that passes to a channel the records that carry
// an error attribute matching target (dropping them when the channel is full).
type logSink struct {
	target error
	c      chan string
}

func newLogSink(target error) *logSink { return &logSink{target, make(chan string, 64)} }

func (h *logSink) Enabled(context.Context, slog.Level) bool { return true }
func (h *logSink) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *logSink) WithGroup(string) slog.Handler            { return h }

func (h *logSink) Handle(_ context.Context, r slog.Record) error {
	msg, match := r.Message, false
	r.Attrs(func(a slog.Attr) bool {
		msg += " " + a.String()
		if err, ok := a.Value.Any().(error); ok && errors.Is(err, h.target) {
			match = true
		}
		return true
	})
	if match {
		select {
		case h.c <- msg:
		default:
		}
	}
	return nil
}

// wait waits for a matching record and logs it.
func (h *logSink) wait(t *testing.T, what string) {
	t.Helper()
	select {
	case msg := <-h.c:
		t.Logf("logged: %s", msg)
	case <-time.After(timeout):
		t.Fatalf("%s: no log record with an error matching %q within %v", what, h.target, timeout)
	}
}
