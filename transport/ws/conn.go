package ws

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"time"

	"github.com/gorilla/websocket"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/msgtrack"
)

// closeGrace bounds how long Close waits to send a close frame before it
// closes the connection anyway.
const closeGrace = 20 * time.Millisecond

// conn implements sp.TransportConn over a WebSocket connection whose upgrade
// is done. Recv is called from one goroutine, Send from another, Close from
// any: gorilla allows one reader, one writer, and Close and WriteControl
// concurrently with both.
type conn struct {
	ws    *websocket.Conn
	peer  uint16
	frame int            // largest frame payload sent
	req   *http.Request  // the upgrade request, on a listener's conn
	resp  *http.Response // the upgrade response, on a dialer's conn
	limit int            // the read limit set on ws, or -1
}

func newConn(ws *websocket.Conn, peer uint16, frame int) *conn {
	return &conn{ws: ws, peer: peer, frame: frame, limit: -1}
}

// Handshake implements sp.TransportConn. WebSocket has no SP handshake: the
// peer's protocol was agreed by the upgrade, before the conn was returned.
func (c *conn) Handshake(time.Time) error { return nil }

// PeerProtocol implements sp.TransportConn.
func (c *conn) PeerProtocol() uint16 { return c.peer }

// Send implements sp.TransportConn: the message goes out as one binary
// message, in frames of at most c.frame bytes of payload (gorilla flushes a
// frame whenever its write buffer, c.frame bytes, is full; writing in chunks
// keeps it from sending a large write as one frame).
func (c *conn) Send(m *sp.Message) error {
	defer m.Free()
	w, err := c.ws.NextWriter(websocket.BinaryMessage)
	if err != nil {
		return err
	}
	for _, b := range [2][]byte{m.Header, m.Body} {
		for len(b) > 0 {
			n := min(len(b), c.frame)
			if _, err := w.Write(b[:n]); err != nil {
				w.Close()
				return err
			}
			b = b[n:]
		}
	}
	return w.Close()
}

// Flush implements sp.TransportConn. Each message is written out by Send.
func (c *conn) Flush() error { return nil }

// chunk is how much Recv reads at a time into a message that has no room
// left: the buffer grows by doubling, so it holds at most twice what arrived.
const chunk = 4 << 10

// Recv implements sp.TransportConn. The receive limit is enforced by
// gorilla's read limit, checked against each frame's length before its
// payload is read, so a peer's claim is never allocated.
func (c *conn) Recv(maxSize int) (*sp.Message, error) {
	if maxSize != c.limit {
		c.limit = maxSize
		c.ws.SetReadLimit(int64(maxSize)) // 0: no limit
	}
	typ, r, err := c.ws.NextReader()
	if err != nil {
		return nil, recvError(err, maxSize)
	}
	if typ != websocket.BinaryMessage {
		c.Close()
		return nil, fmt.Errorf("%w: ws: received a text message; SP messages are binary", sp.ErrMalformed)
	}
	m := sp.NewMessage(chunk)
	msgtrack.ToLibrary(m)
	b := m.Body[:0]
	for {
		if len(b) == cap(b) {
			b = slices.Grow(b, cap(b)) // double
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			m.Body = b
			m.Free()
			return nil, recvError(err, maxSize)
		}
	}
	m.Body = b
	return m, nil
}

// recvError turns a read error into sp's vocabulary: an orderly close reads
// as io.EOF, a message over the limit as sp.ErrTooLarge.
func recvError(err error, maxSize int) error {
	if errors.Is(err, websocket.ErrReadLimit) {
		return fmt.Errorf("%w: ws: message larger than the limit of %d bytes", sp.ErrTooLarge, maxSize)
	}
	var ce *websocket.CloseError
	if errors.As(err, &ce) {
		switch ce.Code {
		case websocket.CloseNormalClosure, websocket.CloseGoingAway, websocket.CloseNoStatusReceived:
			return fmt.Errorf("ws: peer closed (%v): %w", ce, io.EOF)
		case websocket.CloseAbnormalClosure:
			return fmt.Errorf("ws: %w", io.ErrUnexpectedEOF)
		}
	}
	return err
}

// LocalAddr implements sp.TransportConn.
func (c *conn) LocalAddr() net.Addr { return c.ws.LocalAddr() }

// RemoteAddr implements sp.TransportConn.
func (c *conn) RemoteAddr() net.Addr { return c.ws.RemoteAddr() }

// Close implements sp.TransportConn. It sends a close frame if it can do so
// at once, then closes the connection.
func (c *conn) Close() error {
	msg := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "")
	_ = c.ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(closeGrace))
	return c.ws.Close()
}

// closeWriteGrace bounds how long CloseWrite waits to send its close frame.
const closeWriteGrace = time.Second

// CloseWrite sends a close frame and goes on receiving: the peer reads what
// was sent, then the close, and closes in turn (the engine's Shutdown waits
// for that). No message may be sent after it.
func (c *conn) CloseWrite() error {
	msg := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "")
	return c.ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(closeWriteGrace))
}

// OptionValue implements sp.OptionGetter, for Pipe.OptionValue: Request on a
// listener's pipe, Response on a dialer's.
func (c *conn) OptionValue(name string) (any, error) {
	switch {
	case name == Request.Name() && c.req != nil:
		return c.req, nil
	case name == Response.Name() && c.resp != nil:
		return c.resp, nil
	}
	return nil, fmt.Errorf("%w: a ws pipe has no property %q", sp.ErrBadOption, name)
}
