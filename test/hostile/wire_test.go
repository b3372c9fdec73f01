package hostile_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/require"
)

// wsDial upgrades a raw gorilla client asking for subprotocol sub; the
// connection is closed at the end of the test.
func (s *setup) wsDial(t *testing.T, sub string) (*websocket.Conn, *http.Response, error) {
	t.Helper()
	d := websocket.Dialer{HandshakeTimeout: 5 * time.Second, Subprotocols: []string{sub}}
	c, resp, err := d.Dial(s.addr, nil)
	if resp != nil && resp.Body != nil {
		resp.Body.Close()
	}
	if c != nil {
		t.Cleanup(func() { c.Close() })
	}
	return c, resp, err
}

// openSP returns a raw connection past the SP handshake (tcp, ipc) or the
// WebSocket upgrade (ws), on which the test writes frames of its own.
func (s *setup) openSP(t *testing.T) net.Conn {
	t.Helper()
	if s.tr == "ws" {
		c, _, err := s.wsDial(t, s.p.name+".sp.nanomsg.org")
		require.NoError(t, err)
		return c.NetConn()
	}
	c := s.dialRaw(t)
	write(t, c, handshake(s.p.peer))
	return c
}

// claim is the start of a frame that announces n bytes of header+body.
func (s *setup) claim(n uint64) []byte {
	switch s.tr {
	case "ipc":
		return binary.BigEndian.AppendUint64([]byte{1}, n)
	case "ws":
		// FIN + binary, masked, 64-bit length, then a zero mask key.
		return append(binary.BigEndian.AppendUint64([]byte{0x82, 0x80 | 127}, n), 0, 0, 0, 0)
	}
	return binary.BigEndian.AppendUint64(nil, n)
}

// frame is one whole message on the wire.
func (s *setup) frame(payload []byte) []byte {
	return append(s.claim(uint64(len(payload))), payload...) // the ws mask is zero
}

// wsTextFrame is a masked text message.
func wsTextFrame(text string) []byte {
	return append([]byte{0x81, 0x80 | byte(len(text)), 0, 0, 0, 0}, text...)
}

// write sends the parts in one write: the listener may close the
// connection as soon as it has read a bad prefix.
func write(t *testing.T, c net.Conn, parts ...[]byte) {
	t.Helper()
	_, err := c.Write(bytes.Join(parts, nil))
	require.NoError(t, err)
}

// writeRefused is write for a peer that a monogamous listener (pair) may
// already have refused and closed: then the write may fail.
func (s *setup) writeRefused(t *testing.T, c net.Conn, parts ...[]byte) {
	t.Helper()
	if _, err := c.Write(bytes.Join(parts, nil)); err != nil && !s.p.mono {
		t.Fatal(err)
	}
}

// expectClosed reads c until the listener closes it, failing if that does
// not happen within limit, and returns how long it took.
func expectClosed(t *testing.T, c net.Conn, limit time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	require.NoError(t, c.SetReadDeadline(start.Add(limit)))
	_, err := io.Copy(io.Discard, c)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("the hostile connection is still open after %v; want it closed by the listener", limit)
	}
	return time.Since(start)
}
