package core_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/sptest"
	"github.com/spgo/sp/internal/stream"
	"github.com/spgo/sp/protocol/pull"
	"github.com/spgo/sp/protocol/push"
	"github.com/stretchr/testify/require"
)

// pipeTransport is the SP stream mapping (tcp's: handshake, then
// length-prefixed frames) over net.Pipe, registered for this package's
// tests as pipe://name. Unlike tcp and ipc, whose sockets a synctest bubble
// cannot wait for, a net.Pipe made in a bubble blocks durably and its
// deadlines run on the bubble's fake time, so timeouts of the stream
// mapping (the handshake's) can be checked exactly.
type pipeTransport struct{}

func init() { sp.RegisterTransport(pipeTransport{}) }

var pipeNet = struct {
	sync.Mutex
	ls map[string]*pipeListener
}{ls: map[string]*pipeListener{}}

func (pipeTransport) Schemes() []string { return []string{"pipe"} }

func (pipeTransport) NewDialer(addr string, cfg sp.TransportConfig) (sp.TransportDialer, error) {
	return pipeDialer{name: strings.TrimPrefix(addr, "pipe://"), proto: cfg.Protocol().Self}, nil
}

func (pipeTransport) NewListener(addr string, cfg sp.TransportConfig) (sp.TransportListener, error) {
	name := strings.TrimPrefix(addr, "pipe://")
	bind := func() (net.Listener, error) {
		pipeNet.Lock()
		defer pipeNet.Unlock()
		if pipeNet.ls[name] != nil {
			return nil, fmt.Errorf("pipe://%s: address in use", name)
		}
		l := &pipeListener{name: name, conns: make(chan net.Conn), done: make(chan struct{})}
		pipeNet.ls[name] = l
		return l, nil
	}
	return stream.NewListener(cfg.Protocol().Self, false, bind, nil), nil
}

type pipeDialer struct {
	name  string
	proto uint16
}

func (d pipeDialer) Dial(ctx context.Context) (sp.TransportConn, error) {
	c, err := dialPipe(ctx, d.name)
	if err != nil {
		return nil, err
	}
	return stream.New(c, d.proto, false), nil
}

// dialPipe connects to the pipe listener name and returns the raw end.
func dialPipe(ctx context.Context, name string) (net.Conn, error) {
	pipeNet.Lock()
	l := pipeNet.ls[name]
	pipeNet.Unlock()
	if l == nil {
		return nil, fmt.Errorf("pipe://%s: %w", name, sp.ErrConnRefused)
	}
	p1, p2 := net.Pipe()
	mine, theirs := newBufConn(p1), newBufConn(p2)
	select {
	case l.conns <- theirs:
		return mine, nil
	case <-l.done:
		mine.Close()
		theirs.Close()
		return nil, fmt.Errorf("pipe://%s: %w", name, sp.ErrConnRefused)
	case <-ctx.Done():
		mine.Close()
		theirs.Close()
		return nil, ctx.Err()
	}
}

// bufConn is a net.Pipe end whose writes do not wait for the peer to read,
// as over a socket with room in its buffers: both ends of an SP handshake
// write first, then read, which over a bare net.Pipe would wait for each
// other forever. Reads, and their deadlines, are net.Pipe's.
type bufConn struct {
	net.Conn
	q    chan []byte
	done chan struct{}
	once sync.Once
}

func newBufConn(c net.Conn) *bufConn {
	b := &bufConn{Conn: c, q: make(chan []byte, 1024), done: make(chan struct{})}
	go b.pump()
	return b
}

func (b *bufConn) pump() {
	for {
		select {
		case p := <-b.q:
			if _, err := b.Conn.Write(p); err != nil {
				return
			}
		case <-b.done:
			return
		}
	}
}

func (b *bufConn) Write(p []byte) (int, error) {
	select {
	case b.q <- append([]byte(nil), p...):
		return len(p), nil
	case <-b.done:
		return 0, net.ErrClosed
	}
}

func (b *bufConn) Close() error {
	b.once.Do(func() { close(b.done) })
	return b.Conn.Close()
}

type pipeListener struct {
	name  string
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *pipeListener) Close() error {
	l.once.Do(func() {
		close(l.done)
		pipeNet.Lock()
		delete(pipeNet.ls, l.name)
		pipeNet.Unlock()
	})
	return nil
}

func (l *pipeListener) Addr() net.Addr { return pipeAddr(l.name) }

type pipeAddr string

func (a pipeAddr) Network() string { return "pipe" }
func (a pipeAddr) String() string  { return "pipe://" + string(a) }

// TestHandshakeTimeout checks, on fake time in a synctest bubble, that a
// listener drops a peer that does not complete its handshake at exactly
// HandshakeTimeout after it connected (counting a handshake failure), and
// keeps a peer that does, and its other pipes, however long they are idle.
func TestHandshakeTimeout(t *testing.T) {
	const timeout = 150 * time.Millisecond
	tests := []struct {
		name string
		send []byte // what the peer sends, after which it says nothing
		kept bool   // the listener keeps the connection
	}{
		{"no handshake", nil, false},
		{"half a handshake", handshake(pushID)[:5], false},
		{"all but the last byte", handshake(pushID)[:7], false},
		{"a whole handshake", handshake(pushID), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				sink := sptest.New(t, pull.NewSocket)
				require.NoError(t, sp.SetOption(sink, sp.HandshakeTimeout, timeout))
				pipes := sptest.CountPipes(sink, nil)
				addr := sptest.Listen(t, sink, "pipe://"+t.Name())
				good := sptest.New(t, push.NewSocket)
				sptest.Dial(t, good, addr)
				pipes.WaitLive(t, 1)

				start := time.Now()
				c, err := dialPipe(t.Context(), strings.TrimPrefix(addr, "pipe://"))
				require.NoError(t, err)
				defer c.Close()
				closed := make(chan time.Duration, 1)
				go func() { // reads the listener's handshake, then until it closes
					io.Copy(io.Discard, c)
					closed <- time.Since(start)
				}()
				if tt.send != nil {
					_, err := c.Write(tt.send)
					require.NoError(t, err)
				}
				if tt.kept {
					pipes.WaitLive(t, 2)
					time.Sleep(100 * timeout)
					synctest.Wait()
					require.Empty(t, closed, "the listener closed a peer whose handshake was complete")
					require.Equal(t, 2, pipes.Live(), "live pipes after %v idle", 100*timeout)
				} else {
					took := <-closed
					require.Equal(t, timeout, took, "the listener dropped the peer after %v, want exactly its HandshakeTimeout %v", took, timeout)
					synctest.Wait() // the listener counts the failure after it closes the connection
					failures := sink.Stats().HandshakeFailures
					require.Equal(t, uint64(1), failures, "handshake failures: got %d, want 1", failures)
					require.Equal(t, 1, pipes.Live(), "live pipes after the peer was dropped")
				}
				// The good peer is not held up: its message comes at once.
				ctx, sent := t.Context(), time.Now()
				require.NoError(t, good.Send(ctx, []byte("still here")))
				b, err := sink.Recv(ctx)
				require.NoError(t, err)
				require.Equal(t, "still here", string(b))
				require.Zero(t, time.Since(sent), "the good peer's message came after %v, want at once", time.Since(sent))
			})
		})
	}
}

// silentPipeServer listens on a fresh pipe:// name and accepts
// connections whose handshake it reads and never answers, until the test
// ends. It returns the address.
func silentPipeServer(t *testing.T) string {
	name := "silent/" + t.Name()
	l := &pipeListener{name: name, conns: make(chan net.Conn), done: make(chan struct{})}
	pipeNet.Lock()
	pipeNet.ls[name] = l
	pipeNet.Unlock()
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				io.Copy(io.Discard, c) // until the dialer gives up and closes
				c.Close()
			})
		}
	})
	t.Cleanup(func() {
		l.Close()
		wg.Wait()
	})
	return "pipe://" + name
}

// TestDialHandshakeTimeout checks, on fake time in a synctest bubble, that
// a dial whose handshake the server never answers ends at exactly its
// bound: HandshakeTimeout with DialSync, or the caller's deadline or
// cancel with DialContext, whichever comes first.
func TestDialHandshakeTimeout(t *testing.T) {
	const bound = 200 * time.Millisecond
	tests := []struct {
		name string
		dial func(t *testing.T, s sp.Socket, addr string) error
		want error
	}{
		{"HandshakeTimeout with DialSync", func(t *testing.T, s sp.Socket, addr string) error {
			return s.Dial(addr, sp.WithDialSync(), sp.With(sp.HandshakeTimeout, bound))
		}, sp.ErrTimeout},
		{"ctx deadline before HandshakeTimeout", func(t *testing.T, s sp.Socket, addr string) error {
			ctx, cancel := context.WithTimeout(t.Context(), bound)
			defer cancel()
			return s.DialContext(ctx, addr, sp.With(sp.HandshakeTimeout, time.Hour))
		}, sp.ErrTimeout},
		{"HandshakeTimeout before ctx deadline", func(t *testing.T, s sp.Socket, addr string) error {
			ctx, cancel := context.WithTimeout(t.Context(), time.Hour)
			defer cancel()
			return s.DialContext(ctx, addr, sp.With(sp.HandshakeTimeout, bound))
		}, sp.ErrTimeout},
		{"ctx canceled", func(t *testing.T, s sp.Socket, addr string) error {
			ctx, cancel := context.WithCancel(t.Context())
			tm := time.AfterFunc(bound, cancel)
			defer tm.Stop()
			return s.DialContext(ctx, addr, sp.With(sp.HandshakeTimeout, time.Hour))
		}, context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				addr := silentPipeServer(t)
				s := sptest.New(t, push.NewSocket)
				start := time.Now()
				err := tt.dial(t, s, addr)
				took := time.Since(start)
				require.ErrorIs(t, err, tt.want, "got %v, want %v", err, tt.want)
				require.Equal(t, bound, took, "the dial ended after %v, want exactly %v", took, bound)
				require.Equal(t, uint64(1), s.Stats().HandshakeFailures, "handshake failures")
			})
		})
	}
}
