package ws_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/require"

	"github.com/spgo/sp"
	"github.com/spgo/sp/protocol/pub"
	"github.com/spgo/sp/protocol/pull"
	"github.com/spgo/sp/protocol/rep"
	"github.com/spgo/sp/protocol/req"
	"github.com/spgo/sp/transport/ws"
)

// recConn records what is read from and how many writes go to a net.Conn.
type recConn struct {
	net.Conn
	mu     sync.Mutex
	read   bytes.Buffer
	writes int
}

func (c *recConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	c.mu.Lock()
	c.read.Write(b[:n])
	c.mu.Unlock()
	return n, err
}

func (c *recConn) Write(b []byte) (int, error) {
	c.mu.Lock()
	c.writes++
	c.mu.Unlock()
	return c.Conn.Write(b)
}

// rawDial connects a bare gorilla client asking for subprotocol proto;
// with rec, the connection is recorded there. The dialer writes frames of
// at most 16 bytes of payload.
func rawDial(t testing.TB, url, proto string, rec **recConn) *websocket.Conn {
	t.Helper()
	d := websocket.Dialer{Subprotocols: []string{proto}, WriteBufferSize: 16}
	d.NetDialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err != nil || rec == nil {
			return c, err
		}
		*rec = &recConn{Conn: c}
		return *rec, nil
	}
	c, resp, err := d.DialContext(ctx(t), url, nil)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, proto, c.Subprotocol())
	t.Cleanup(func() { c.Close() })
	return c
}

// TestMultiFrame: a request sent by a browser-like client in many frames
// (16 bytes each) arrives whole; the reply carries the request id back.
func TestMultiFrame(t *testing.T) {
	r := newSocket(t, rep.NewSocket)
	_, url := listen(t, r, "ws://127.0.0.1:0/mf")
	var rec *recConn
	c := rawDial(t, url, "rep.sp.nanomsg.org", &rec)
	body := []byte(strings.Repeat("multi-frame request ", 10))
	msg := append([]byte{0x80, 0, 0, 42}, body...)
	rec.mu.Lock()
	before := rec.writes
	rec.mu.Unlock()
	w, err := c.NextWriter(websocket.BinaryMessage)
	require.NoError(t, err)
	for _, part := range [][]byte{msg[:2], msg[2:4], msg[4:100], msg[100:]} {
		_, err = w.Write(part)
		require.NoError(t, err)
	}
	require.NoError(t, w.Close())
	rec.mu.Lock()
	frames := rec.writes - before
	rec.mu.Unlock()
	require.GreaterOrEqual(t, frames, len(msg)/16, "the client did not fragment")

	got, err := r.Recv(ctx(t))
	require.NoError(t, err)
	require.Equal(t, body, got)
	require.NoError(t, r.Send(ctx(t), []byte("reply")))
	typ, reply, err := c.ReadMessage()
	require.NoError(t, err)
	require.Equal(t, websocket.BinaryMessage, typ)
	require.Equal(t, append([]byte{0x80, 0, 0, 42}, "reply"...), reply)
}

// TestFrameSize: with MaxFrameSize 1024, a 10 KiB message goes out as 10
// frames of 1024 bytes (one binary, nine continuations, the last final).
func TestFrameSize(t *testing.T) {
	p := newSocket(t, pub.NewSocket)
	up := waitPipes(t, p)
	_, url := listen(t, p, "ws://127.0.0.1:0/frames", sp.With(ws.MaxFrameSize, 1024))
	var rec *recConn
	c := rawDial(t, url, "pub.sp.nanomsg.org", &rec)
	up(1)
	msg := bytes.Repeat([]byte{7}, 10<<10)
	require.NoError(t, p.Send(ctx(t), msg))
	_, got, err := c.ReadMessage()
	require.NoError(t, err)
	require.Equal(t, msg, got)

	rec.mu.Lock()
	b := rec.read.Bytes()
	rec.mu.Unlock()
	i := bytes.Index(b, []byte("\r\n\r\n"))
	require.Positive(t, i)
	b = b[i+4:]
	var frames []int
	for len(b) >= 2 {
		fin, op, n := b[0]&0x80 != 0, b[0]&0x0f, int(b[1]&0x7f)
		require.Zero(t, b[1]&0x80, "a server frame is never masked")
		b = b[2:]
		switch n {
		case 126:
			n, b = int(binary.BigEndian.Uint16(b)), b[2:]
		case 127:
			n, b = int(binary.BigEndian.Uint64(b)), b[8:]
		}
		wantOp := byte(websocket.BinaryMessage)
		if len(frames) > 0 {
			wantOp = 0 // continuation
		}
		require.Equal(t, wantOp, op, "frame %d", len(frames))
		require.Equal(t, len(frames) == 9, fin, "frame %d FIN", len(frames))
		frames = append(frames, n)
		b = b[n:]
	}
	require.Equal(t, []int{1024, 1024, 1024, 1024, 1024, 1024, 1024, 1024, 1024, 1024}, frames)
}

// TestTextRefused: a text message closes the pipe and is not delivered.
func TestTextRefused(t *testing.T) {
	pl := newSocket(t, pull.NewSocket)
	_, url := listen(t, pl, "ws://127.0.0.1:0/")
	c := rawDial(t, url, "pull.sp.nanomsg.org", nil)
	require.NoError(t, c.WriteMessage(websocket.TextMessage, []byte("text")))
	_, _, err := c.ReadMessage()
	require.Error(t, err) // closed by the server
	c2 := rawDial(t, url, "pull.sp.nanomsg.org", nil)
	require.NoError(t, c2.WriteMessage(websocket.BinaryMessage, []byte("binary")))
	got, err := pl.Recv(ctx(t))
	require.NoError(t, err)
	require.Equal(t, "binary", string(got))
}

// TestLimitClose: a message over the limit gets close code 1009 (message
// too big) before its payload is read.
func TestLimitClose(t *testing.T) {
	pl := newSocket(t, pull.NewSocket)
	_, url := listen(t, pl, "ws://127.0.0.1:0/", sp.With(sp.RecvMaxSize, 100))
	c := rawDial(t, url, "pull.sp.nanomsg.org", nil)
	require.NoError(t, c.WriteMessage(websocket.BinaryMessage, make([]byte, 101)))
	_, _, err := c.ReadMessage()
	require.True(t, websocket.IsCloseError(err, websocket.CloseMessageTooBig), "got %v", err)
}

// TestSubprotocolChecks: a client asking for another protocol gets 400; a
// server that selects no subprotocol fails the dial with ErrBadProtocol.
func TestSubprotocolChecks(t *testing.T) {
	r := newSocket(t, rep.NewSocket)
	_, url := listen(t, r, "ws://127.0.0.1:0/p")
	for _, protos := range [][]string{{"req.sp.nanomsg.org"}, nil} {
		d := websocket.Dialer{Subprotocols: protos}
		_, resp, err := d.DialContext(ctx(t), url, nil)
		require.ErrorIs(t, err, websocket.ErrBadHandshake)
		require.Equal(t, http.StatusBadRequest, resp.StatusCode)
		resp.Body.Close()
	}

	var up websocket.Upgrader // selects no subprotocol
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c, err := up.Upgrade(w, r, nil); err == nil {
			c.Close()
		}
	}))
	defer srv.Close()
	q := newSocket(t, req.NewSocket)
	err := q.Dial("ws"+strings.TrimPrefix(srv.URL, "http")+"/", sp.WithDialSync())
	require.ErrorIs(t, err, sp.ErrBadProtocol)
}

// TestClaimRefused: a frame header claiming 1 GiB, over a 1 MiB limit, gets
// close code 1009 at once: the payload is neither awaited nor allocated.
func TestClaimRefused(t *testing.T) {
	pl := newSocket(t, pull.NewSocket)
	_, url := listen(t, pl, "ws://127.0.0.1:0/")
	c := rawDial(t, url, "pull.sp.nanomsg.org", nil)
	hdr := []byte{0x82, 0x80 | 127, 0, 0, 0, 0, 0x40, 0, 0, 0, 1, 2, 3, 4} // FIN binary, masked, 1 GiB
	_, err := c.NetConn().Write(hdr)
	require.NoError(t, err)
	require.NoError(t, c.NetConn().SetReadDeadline(time.Now().Add(timeout)))
	_, _, err = c.ReadMessage()
	require.True(t, websocket.IsCloseError(err, websocket.CloseMessageTooBig), "got %v", err)
}

// TestSilentClient: a client that connects and sends nothing is dropped once
// the listener's handshake timeout has passed.
func TestSilentClient(t *testing.T) {
	pl := newSocket(t, pull.NewSocket)
	l, _ := listen(t, pl, "ws://127.0.0.1:0/", sp.With(sp.HandshakeTimeout, 200*time.Millisecond))
	c, err := net.Dial("tcp", l.Addr().String())
	require.NoError(t, err)
	defer c.Close()
	start := time.Now()
	require.NoError(t, c.SetReadDeadline(start.Add(timeout)))
	n, err := c.Read(make([]byte, 1))
	require.Zero(t, n)
	require.ErrorIs(t, err, io.EOF)
	require.Less(t, time.Since(start), 5*time.Second)
}
