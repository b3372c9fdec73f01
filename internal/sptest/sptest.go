// Package sptest helps test sp sockets: it runs a test body over every
// transport, hands out fresh addresses, and connects pairs of sockets.
//
//	func TestEcho(t *testing.T) {
//		sptest.Transports(t, func(t *testing.T, tr sptest.Transport) {
//			a, b := sptest.Pair(t, tr, push.NewSocket, pull.NewSocket)
//			ctx := sptest.Ctx(t)
//			require.NoError(t, a.Send(ctx, []byte("hi")))
//			...
//		})
//	}
package sptest

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/interop"
	"github.com/stretchr/testify/require"
)

// Timeout bounds every wait of the helpers and the context of Ctx.
const Timeout = 10 * time.Second

// ReconnectMin is the short reconnect interval Connect and Dial give their
// dialers, so that tests of reconnection do not wait long.
const ReconnectMin = 10 * time.Millisecond

// Transport is one transport a test body runs over.
type Transport struct {
	// Name is the URL scheme: "inproc", "ipc" or "tcp".
	Name string
	addr func(t testing.TB) string
}

// Addr returns a fresh address of the transport that nothing uses yet:
// inproc://<unique name>, ipc://<short temporary path> (removed at the end of
// the test), tcp://127.0.0.1:<free port>.
func (tr Transport) Addr(t testing.TB) string {
	t.Helper()
	return tr.addr(t)
}

// All is the list of transports Transports runs over, in order.
var All = []Transport{
	{Name: "inproc", addr: func(testing.TB) string { return InprocAddr() }},
	{Name: "ipc", addr: IPCAddr},
	{Name: "tcp", addr: TCPAddr},
}

// Transports runs body as a subtest for each transport, named after it.
func Transports(t *testing.T, body func(t *testing.T, tr Transport)) {
	t.Helper()
	for _, tr := range All {
		t.Run(tr.Name, func(t *testing.T) { body(t, tr) })
	}
}

var inprocSeq atomic.Uint64

// InprocAddr returns a fresh inproc:// address.
func InprocAddr() string {
	return fmt.Sprintf("inproc://sptest-%d-%d", os.Getpid(), inprocSeq.Add(1))
}

// IPCAddr returns ipc:// and the path of a socket in a new temporary
// directory removed at the end of the test. The path is short, well under
// the 107 bytes a Unix socket address holds.
func IPCAddr(t testing.TB) string {
	t.Helper()
	return "ipc://" + IPCPath(t)
}

// IPCPath returns the path of a socket file in a new temporary directory
// removed at the end of the test.
func IPCPath(t testing.TB) string {
	t.Helper()
	base := os.TempDir()
	if len(base) > 60 {
		base = "/tmp"
	}
	dir, err := os.MkdirTemp(base, "sp")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	return filepath.Join(dir, "s")
}

// TCPAddr returns tcp://127.0.0.1:<port> with a port that was free a
// moment ago.
func TCPAddr(t testing.TB) string {
	t.Helper()
	return fmt.Sprintf("tcp://127.0.0.1:%d", FreeTCPPort(t))
}

// FreeTCPPort returns a loopback tcp port that was free a moment ago.
func FreeTCPPort(t testing.TB) int {
	t.Helper()
	return interop.FreeTCPPort(t)
}

// Ctx returns a context that times out after Timeout and is canceled when
// the test ends.
func Ctx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	t.Cleanup(cancel)
	return ctx
}

// New makes a socket with newSocket and closes it when the test ends.
func New(t testing.TB, newSocket func() (sp.Socket, error)) sp.Socket {
	t.Helper()
	s, err := newSocket()
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	return s
}

// Pair makes a with newA and b with newB, makes b listen on a fresh address
// of tr and a dial it, and returns once both ends have the pipe. Both
// sockets are closed when the test ends.
func Pair(t testing.TB, tr Transport, newA, newB func() (sp.Socket, error)) (a, b sp.Socket) {
	t.Helper()
	a, b = New(t, newA), New(t, newB)
	Connect(t, a, b, tr.Addr(t))
	return a, b
}

// Connect makes b listen on addr and a dial it
// synchronously, and returns once both ends have joined the pipe. It uses,
// and then clears, b's pipe hook. It returns the address dialed, which for a
// tcp port 0 is the bound one.
func Connect(t testing.TB, a, b sp.Socket, addr string) string {
	t.Helper()
	up := make(chan struct{}, 1)
	b.SetPipeHook(func(ev sp.PipeEvent, _ sp.Pipe) bool {
		if ev == sp.PipeAdded {
			select {
			case up <- struct{}{}:
			default:
			}
		}
		return true
	})
	defer b.SetPipeHook(nil)
	addr = Listen(t, b, addr)
	Dial(t, a, addr)
	select {
	case <-up:
	case <-time.After(Timeout):
		t.Fatalf("the listener's pipe to %s did not come up within %v", addr, Timeout)
	}
	return addr
}

// Listen makes s listen on addr and returns the address to dial, with the
// bound port for a tcp port 0.
func Listen(t testing.TB, s sp.Socket, addr string, opts ...sp.EndpointOption) string {
	t.Helper()
	l, err := s.NewListener(addr, opts...)
	require.NoError(t, err, "NewListener(%s)", addr)
	require.NoError(t, l.Listen(), "Listen(%s)", addr)
	if ta, ok := l.Addr().(*net.TCPAddr); ok {
		return fmt.Sprintf("tcp://%s", ta.String())
	}
	return addr
}

// Dial makes s dial addr synchronously, with a short reconnect interval.
func Dial(t testing.TB, s sp.Socket, addr string, opts ...sp.EndpointOption) {
	t.Helper()
	opts = append([]sp.EndpointOption{
		sp.WithDialSync(),
		sp.With(sp.ReconnectMin, ReconnectMin),
		sp.With(sp.ReconnectMax, 10*ReconnectMin),
	}, opts...)
	require.NoError(t, s.Dial(addr, opts...), "Dial(%s)", addr)
}

// Pipes counts the live pipes of a socket through its pipe hook, so that a
// test can wait for peers to come and go.
type Pipes struct {
	mu      sync.Mutex
	n       int
	added   int
	changed chan struct{}
	hook    sp.PipeHook
}

// CountPipes sets s's pipe hook to one that counts pipes and then calls
// next (if not nil), whose result decides PipeAdding.
func CountPipes(s sp.Socket, next sp.PipeHook) *Pipes {
	c := &Pipes{changed: make(chan struct{}), hook: next}
	s.SetPipeHook(c.event)
	return c
}

func (c *Pipes) event(ev sp.PipeEvent, p sp.Pipe) bool {
	ok := true
	if c.hook != nil {
		ok = c.hook(ev, p)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	switch ev {
	case sp.PipeAdded:
		c.n++
		c.added++
	case sp.PipeRemoved:
		c.n--
	default:
		return ok
	}
	close(c.changed)
	c.changed = make(chan struct{})
	return ok
}

// Live returns the number of pipes now joined.
func (c *Pipes) Live() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

// Added returns the number of pipes ever joined.
func (c *Pipes) Added() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.added
}

// Wait waits until cond holds for (live, added), failing the test after
// Timeout.
func (c *Pipes) Wait(t testing.TB, what string, cond func(live, added int) bool) {
	t.Helper()
	deadline := time.After(Timeout)
	for {
		c.mu.Lock()
		ok, ch, n, a := cond(c.n, c.added), c.changed, c.n, c.added
		c.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("waiting for %s: still %d live pipes, %d ever added, after %v", what, n, a, Timeout)
		}
	}
}

// WaitLive waits until exactly n pipes are joined.
func (c *Pipes) WaitLive(t testing.TB, n int) {
	t.Helper()
	c.Wait(t, fmt.Sprintf("%d live pipes", n), func(live, _ int) bool { return live == n })
}

// WaitAdded waits until at least n pipes have ever joined.
func (c *Pipes) WaitAdded(t testing.TB, n int) {
	t.Helper()
	c.Wait(t, fmt.Sprintf("%d pipes added", n), func(_, added int) bool { return added >= n })
}

// Eventually calls f until it returns true, pausing briefly between calls,
// and fails the test after Timeout. Prefer waiting on a channel or Pipes;
// this is for conditions nothing signals.
func Eventually(t testing.TB, what string, f func() bool) {
	t.Helper()
	deadline := time.Now().Add(Timeout)
	for pause := time.Millisecond; !f(); pause = min(2*pause, 50*time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not true after %v", what, Timeout)
		}
		time.Sleep(pause)
	}
}

// Payload returns n bytes of a repeating pattern that depends on seed, so
// that a corrupted or misrouted message shows.
func Payload(n int, seed byte) []byte {
	b := make([]byte, n)
	k := min(n, 4093) // a prime period, so frames do not line up with it
	for i := range k {
		b[i] = byte(i*7) + seed
	}
	for k < n { // copy, rather than loop byte by byte under -race
		k += copy(b[k:], b[:k])
	}
	return b
}

// Log is a slog.Handler that records the messages of a socket's log
// records, so that a test can wait for something the socket only logs
// (a failed dial, a rejected peer). Set it with
// sp.SetOption(s, sp.Logger, slog.New(l)).
type Log struct {
	mu      sync.Mutex
	msgs    []string
	changed chan struct{}
}

// NewLog returns an empty Log.
func NewLog() *Log { return &Log{changed: make(chan struct{})} }

// Enabled implements slog.Handler.
func (l *Log) Enabled(context.Context, slog.Level) bool { return true }

// Handle implements slog.Handler.
func (l *Log) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.msgs = append(l.msgs, r.Message)
	close(l.changed)
	l.changed = make(chan struct{})
	return nil
}

// WithAttrs implements slog.Handler.
func (l *Log) WithAttrs([]slog.Attr) slog.Handler { return l }

// WithGroup implements slog.Handler.
func (l *Log) WithGroup(string) slog.Handler { return l }

// Count returns how many records had message msg.
func (l *Log) Count(msg string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, m := range l.msgs {
		if m == msg {
			n++
		}
	}
	return n
}

// Wait waits until at least n records with message msg were logged.
func (l *Log) Wait(t testing.TB, msg string, n int) {
	t.Helper()
	deadline := time.After(Timeout)
	for {
		l.mu.Lock()
		ch := l.changed
		l.mu.Unlock()
		if l.Count(msg) >= n {
			return
		}
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("waited %v for %d log records %q, got %d", Timeout, n, msg, l.Count(msg))
		}
	}
}
