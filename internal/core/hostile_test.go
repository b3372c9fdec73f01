package core_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/sptest"
	"github.com/spgo/sp/protocol/pull"
	"github.com/spgo/sp/protocol/push"
	"github.com/stretchr/testify/require"
)

const (
	hostileMaxSize = 4096
	pushID         = 0x50
)

// handshake returns the SP handshake of protocol id proto.
func handshake(proto uint16) []byte {
	return []byte{0, 'S', 'P', 0, byte(proto >> 8), byte(proto), 0, 0}
}

// prefix returns a frame's length prefix (with the ipc type byte).
func prefix(ipc bool, n uint64) []byte {
	var b []byte
	if ipc {
		b = append(b, 1)
	}
	return binary.BigEndian.AppendUint64(b, n)
}

// hostileSetup is a pull socket listening on tr, fed by a good push peer that
// keeps sending numbered messages in lockstep with the receiver, and
// checking each arrives, for as long as the test runs.
type hostileSetup struct {
	addr     string
	ipc      bool
	pipes    *sptest.Pipes
	other    chan string   // messages that are not the good peer's
	progress chan struct{} // a token after each good message
	stop     chan struct{}
	finished chan error
}

func newHostileSetup(t *testing.T, tr sptest.Transport, handshakeTimeout time.Duration) *hostileSetup {
	sink := sptest.New(t, pull.NewSocket)
	require.NoError(t, sp.SetOption(sink, sp.RecvMaxSize, hostileMaxSize))
	require.NoError(t, sp.SetOption(sink, sp.HandshakeTimeout, handshakeTimeout))
	h := &hostileSetup{
		ipc:      tr.Name == "ipc",
		pipes:    sptest.CountPipes(sink, nil),
		other:    make(chan string, 16),
		progress: make(chan struct{}, 1),
		stop:     make(chan struct{}),
		finished: make(chan error, 1),
	}
	h.addr = sptest.Listen(t, sink, tr.Addr(t))
	good := sptest.New(t, push.NewSocket)
	sptest.Dial(t, good, h.addr)
	h.pipes.WaitLive(t, 1)

	ctx := sptest.Ctx(t)
	go func() {
		for n := 0; ; n++ {
			select {
			case <-h.stop:
				h.finished <- nil
				return
			default:
			}
			want := fmt.Sprintf("good %d", n)
			if err := good.Send(ctx, []byte(want)); err != nil {
				h.finished <- fmt.Errorf("good Send #%d: %w", n, err)
				return
			}
			for {
				b, err := sink.Recv(ctx)
				if err != nil {
					h.finished <- fmt.Errorf("Recv of good message #%d: %w", n, err)
					return
				}
				if string(b) == want {
					break
				}
				if strings.HasPrefix(string(b), "good ") {
					h.finished <- fmt.Errorf("good peer: got %q, want %q", b, want)
					return
				}
				h.other <- string(b)
			}
			select {
			case h.progress <- struct{}{}:
			default:
			}
		}
	}()
	t.Cleanup(func() {
		select {
		case <-h.stop:
		default:
			close(h.stop)
		}
	})
	return h
}

// finish stops the good peer and checks that it saw every one of its
// messages, and nothing else arrived.
func (h *hostileSetup) finish(t *testing.T) {
	for range 10 { // it is still going
		select {
		case <-h.progress:
		case err := <-h.finished:
			t.Fatalf("the good peer stopped: %v", err)
		case <-time.After(sptest.Timeout):
			t.Fatal("the good peer stalled")
		}
	}
	close(h.stop)
	select {
	case err := <-h.finished:
		require.NoError(t, err)
	case <-time.After(sptest.Timeout):
		t.Fatal("the good peer stalled")
	}
	select {
	case m := <-h.other:
		t.Fatalf("a hostile peer's message was delivered: %q", m)
	default:
	}
}

func (h *hostileSetup) dial(t *testing.T) net.Conn {
	network, addr := "tcp", strings.TrimPrefix(h.addr, "tcp://")
	if h.ipc {
		network, addr = "unix", strings.TrimPrefix(h.addr, "ipc://")
	}
	c, err := net.Dial(network, addr)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

// expectClosed reads c until it ends, and fails if it does not end within
// limit. It returns how long that took.
func expectClosed(t *testing.T, c net.Conn, limit time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	require.NoError(t, c.SetReadDeadline(start.Add(limit)))
	_, err := io.Copy(io.Discard, c) // nil at EOF
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("the hostile connection is still open after %v; want it closed by the listener", limit)
	}
	return time.Since(start)
}

// write sends the parts in one write: the listener may close the
// connection as soon as it has read a bad prefix, and a second write would
// then fail with a broken pipe.
func write(t *testing.T, c net.Conn, parts ...[]byte) {
	t.Helper()
	_, err := c.Write(bytes.Join(parts, nil))
	require.NoError(t, err)
}

func TestHostilePeers(t *testing.T) {
	// Peers that stall the handshake are TestHandshakeTimeout's, on fake
	// time over net.Pipe.
	tests := []struct {
		name string
		ipc  bool // ipc only
		run  func(t *testing.T, h *hostileSetup, c net.Conn)
	}{
		{name: "garbage handshake", run: func(t *testing.T, h *hostileSetup, c net.Conn) {
			write(t, c, []byte("GET / HTTP/1.1\r\nHost: sp\r\n\r\n"))
			expectClosed(t, c, 5*time.Second)
		}},
		{name: "wrong protocol id", run: func(t *testing.T, h *hostileSetup, c net.Conn) {
			write(t, c, handshake(0x30)) // req, not push
			expectClosed(t, c, 5*time.Second)
		}},
		{name: "own protocol id", run: func(t *testing.T, h *hostileSetup, c net.Conn) {
			write(t, c, handshake(0x51)) // pull, not push
			expectClosed(t, c, 5*time.Second)
		}},
		{name: "non-zero version", run: func(t *testing.T, h *hostileSetup, c net.Conn) {
			write(t, c, []byte{0, 'S', 'P', 1, 0, pushID, 0, 0})
			expectClosed(t, c, 5*time.Second)
		}},
		{name: "non-zero reserved", run: func(t *testing.T, h *hostileSetup, c net.Conn) {
			write(t, c, []byte{0, 'S', 'P', 0, 0, pushID, 0, 7})
			expectClosed(t, c, 5*time.Second)
		}},
		{name: "length 2^63", run: func(t *testing.T, h *hostileSetup, c net.Conn) {
			write(t, c, handshake(pushID), prefix(h.ipc, 1<<63), []byte("tiny"))
			expectClosed(t, c, 5*time.Second)
		}},
		{name: "length 2^64-1", run: func(t *testing.T, h *hostileSetup, c net.Conn) {
			write(t, c, handshake(pushID), prefix(h.ipc, 1<<64-1))
			expectClosed(t, c, 5*time.Second)
		}},
		{name: "length RecvMaxSize+1", run: func(t *testing.T, h *hostileSetup, c net.Conn) {
			write(t, c, handshake(pushID), prefix(h.ipc, hostileMaxSize+1))
			expectClosed(t, c, 5*time.Second) // before any body byte was sent
		}},
		{name: "frame a byte at a time", run: func(t *testing.T, h *hostileSetup, c net.Conn) {
			body := []byte("slow but valid")
			frame := append(append(handshake(pushID), prefix(h.ipc, uint64(len(body)))...), body...)
			for _, b := range frame {
				write(t, c, []byte{b})
			}
			select {
			case got := <-h.other:
				require.Equal(t, string(body), got)
			case <-time.After(sptest.Timeout):
				t.Fatal("a frame sent a byte at a time was not delivered")
			}
			h.pipes.WaitLive(t, 2)
			c.Close()
			h.pipes.WaitLive(t, 1)
		}},
		{name: "close mid-frame", run: func(t *testing.T, h *hostileSetup, c net.Conn) {
			write(t, c, handshake(pushID), prefix(h.ipc, 100), []byte("only ten b"))
			h.pipes.WaitAdded(t, 2)
			c.Close()
			h.pipes.WaitLive(t, 1)
		}},
		{name: "close mid-prefix", run: func(t *testing.T, h *hostileSetup, c net.Conn) {
			write(t, c, handshake(pushID), prefix(h.ipc, 100)[:3])
			h.pipes.WaitAdded(t, 2)
			c.Close()
			h.pipes.WaitLive(t, 1)
		}},
		{name: "bad ipc frame type", ipc: true, run: func(t *testing.T, h *hostileSetup, c net.Conn) {
			p := prefix(true, 4)
			p[0] = 2
			write(t, c, handshake(pushID), p, []byte("abcd"))
			expectClosed(t, c, 5*time.Second)
		}},
	}
	for _, tr := range sptest.All {
		if tr.Name == "inproc" {
			continue // no bytes to corrupt
		}
		t.Run(tr.Name, func(t *testing.T) {
			for _, tt := range tests {
				if tt.ipc && tr.Name != "ipc" {
					continue
				}
				t.Run(tt.name, func(t *testing.T) {
					h := newHostileSetup(t, tr, 10*time.Second)
					c := h.dial(t)
					tt.run(t, h, c)
					// Whatever it did, the hostile peer is gone now.
					c.Close()
					h.pipes.WaitLive(t, 1)
					h.finish(t)
				})
			}
		})
	}
}

// A hostile peer that never reads does not stall the listener's other pipes:
// the listener's handshake write does not block on it.
func TestHostileManySilentPeers(t *testing.T) {
	for _, tr := range sptest.All[1:] {
		t.Run(tr.Name, func(t *testing.T) {
			h := newHostileSetup(t, tr, 10*time.Second)
			for range 20 {
				h.dial(t) // connect, then say nothing
			}
			// the good peer keeps going while 20 handshakes hang
			h.finish(t)
		})
	}
}
