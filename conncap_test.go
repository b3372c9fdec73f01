package sp_test

import (
	"net"
	"testing"
	"time"

	"github.com/spgo/sp"
	"github.com/stretchr/testify/require"
)

// bareConn is a TransportConn with no capability but HalfCloser.
type bareConn struct{ halfClosed bool }

func (*bareConn) Handshake(time.Time) error     { return nil }
func (*bareConn) PeerProtocol() uint16          { return 0x11 }
func (*bareConn) Send(m *sp.Message) error      { m.Free(); return nil }
func (*bareConn) Flush() error                  { return nil }
func (*bareConn) Recv(int) (*sp.Message, error) { return nil, sp.ErrClosed }
func (*bareConn) LocalAddr() net.Addr           { return nil }
func (*bareConn) RemoteAddr() net.Addr          { return nil }
func (*bareConn) Close() error                  { return nil }
func (c *bareConn) CloseWrite() error           { c.halfClosed = true; return nil }

// countingConn wraps a connection and counts what it sends; it lends the
// inner connection's capabilities (ConnUnwrapper).
type countingConn struct {
	sp.TransportConn
	sent int
}

func (w *countingConn) Unwrap() sp.TransportConn     { return w.TransportConn }
func (w *countingConn) Send(m *sp.Message) error     { w.sent++; return w.TransportConn.Send(m) }
func (w *countingConn) SentCounts() (msgs, n uint64) { return uint64(w.sent), 0 }

// plainWrapper wraps a connection without Unwrap: it hides its
// capabilities.
type plainWrapper struct{ sp.TransportConn }

func TestConnAs(t *testing.T) {
	inner := &bareConn{}
	cases := []struct {
		name       string
		conn       sp.TransportConn
		halfCloser bool
		counter    bool
	}{
		{"bare", inner, true, false},
		{"unwrapping wrapper", &countingConn{TransportConn: inner}, true, true},
		{"wrapper of a wrapper", &countingConn{TransportConn: &countingConn{TransportConn: inner}}, true, true},
		{"hiding wrapper", &plainWrapper{inner}, false, false},
		{"unwrapping a hiding wrapper", &countingConn{TransportConn: &plainWrapper{inner}}, false, true},
		{"nil", nil, false, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			hc, ok := sp.ConnAs[sp.HalfCloser](c.conn)
			require.Equal(t, c.halfCloser, ok, "ConnAs[HalfCloser]: got %v, want %v", ok, c.halfCloser)
			if ok {
				require.Same(t, inner, hc, "ConnAs[HalfCloser] must find the inner connection")
			}
			_, ok = sp.ConnAs[sp.SentCounter](c.conn)
			require.Equal(t, c.counter, ok, "ConnAs[SentCounter]: got %v, want %v", ok, c.counter)
			_, ok = sp.ConnAs[sp.DirectSender](c.conn)
			require.False(t, ok, "ConnAs[DirectSender]: got true, want false")
		})
	}
}
