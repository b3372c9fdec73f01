package ws_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/spgo/sp"
	"github.com/spgo/sp/protocol/pub"
	"github.com/spgo/sp/protocol/pull"
	"github.com/spgo/sp/protocol/push"
	"github.com/spgo/sp/protocol/rep"
	"github.com/spgo/sp/protocol/req"
	"github.com/spgo/sp/protocol/sub"
	"github.com/spgo/sp/transport/ws"
)

// TestReqRep: req/rep over ws and wss, each side listening in turn.
func TestReqRep(t *testing.T) {
	for _, sc := range schemes(t) {
		for _, repListens := range []bool{true, false} {
			name := sc.name + "/req-listens"
			if repListens {
				name = sc.name + "/rep-listens"
			}
			t.Run(name, func(t *testing.T) {
				q, r := newSocket(t, req.NewSocket), newSocket(t, rep.NewSocket)
				lis, dia := r, q
				if !repListens {
					lis, dia = q, r
				}
				_, url := listen(t, lis, sc.name+"://127.0.0.1:0/sp/reqrep", sc.listen...)
				dial(t, dia, url, sc.dial...)
				for i := range 3 {
					msg := []byte{0xff, 0x80, 0, byte(i)}
					require.NoError(t, q.Send(ctx(t), msg))
					got, err := r.Recv(ctx(t))
					require.NoError(t, err)
					require.Equal(t, msg, got)
					require.NoError(t, r.Send(ctx(t), append(got, 'r')))
					got, err = q.Recv(ctx(t))
					require.NoError(t, err)
					require.Equal(t, append(msg, 'r'), got)
				}
			})
		}
	}
}

// TestPubSub: pub/sub over ws and wss; the sub asks for pub.sp.nanomsg.org.
func TestPubSub(t *testing.T) {
	for _, sc := range schemes(t) {
		t.Run(sc.name, func(t *testing.T) {
			p, s := newSocket(t, pub.NewSocket), newSocket(t, sub.NewSocket)
			require.NoError(t, sp.SetOption(s, sub.SubscribeOption, []byte("a")))
			up := waitPipes(t, p)
			_, url := listen(t, p, sc.name+"://127.0.0.1:0/", sc.listen...)
			dial(t, s, url, sc.dial...)
			up(1)
			for _, m := range []string{"b-skip", "a1", "a2"} {
				require.NoError(t, p.Send(ctx(t), []byte(m)))
			}
			for _, want := range []string{"a1", "a2"} {
				got, err := s.Recv(ctx(t))
				require.NoError(t, err)
				require.Equal(t, want, string(got))
			}
		})
	}
}

// TestLarge: a 4 MiB message crosses in 4 KiB frames, both ways.
func TestLarge(t *testing.T) {
	for _, sc := range schemes(t) {
		t.Run(sc.name, func(t *testing.T) {
			frame := sp.With(ws.MaxFrameSize, 4<<10)
			limit := sp.With(sp.RecvMaxSize, 8<<20)
			q, r := newSocket(t, req.NewSocket), newSocket(t, rep.NewSocket)
			_, url := listen(t, r, sc.name+"://127.0.0.1:0/big", append(sc.listen, frame, limit)...)
			dial(t, q, url, append(sc.dial, frame, limit)...)
			big := bytes.Repeat([]byte("0123456789abcdef"), 4<<20/16)
			big[0], big[len(big)-1] = 0xff, 0xfe
			require.NoError(t, q.Send(ctx(t), big))
			got, err := r.Recv(ctx(t))
			require.NoError(t, err)
			require.True(t, bytes.Equal(big, got), "request corrupted")
			require.NoError(t, r.Send(ctx(t), got))
			got, err = q.Recv(ctx(t))
			require.NoError(t, err)
			require.True(t, bytes.Equal(big, got), "reply corrupted")
		})
	}
}

// TestRecvLimit: a message over sp.RecvMaxSize closes its pipe and is not
// delivered; the dialer reconnects and smaller messages pass.
func TestRecvLimit(t *testing.T) {
	ps, pl := newSocket(t, push.NewSocket), newSocket(t, pull.NewSocket)
	up := waitPipes(t, pl)
	_, url := listen(t, pl, "ws://127.0.0.1:0/limit", sp.With(sp.RecvMaxSize, 1000))
	dial(t, ps, url)
	up(1)
	require.NoError(t, ps.Send(ctx(t), make([]byte, 1001)))
	up(2) // the pipe closed, the dialer came back
	require.NoError(t, ps.Send(ctx(t), make([]byte, 1000)))
	got, err := pl.Recv(ctx(t))
	require.NoError(t, err)
	require.Len(t, got, 1000)
}

// TestHeaders: request headers reach the listener, readable from a received
// message's pipe with the upgrade request; response headers reach the
// dialer, readable as the upgrade response.
func TestHeaders(t *testing.T) {
	q, r := newSocket(t, req.NewSocket), newSocket(t, rep.NewSocket)
	_, url := listen(t, r, "ws://127.0.0.1:0/h",
		sp.With(ws.ResponseHeader, http.Header{"X-Server": {"sp-rep"}}))
	dial(t, q, url+"?user=7", sp.With(ws.RequestHeader, http.Header{"X-Token": {"abc"}}))
	require.NoError(t, q.Send(ctx(t), []byte("hi")))
	m, err := r.RecvMsg(ctx(t))
	require.NoError(t, err)
	hr, err := sp.GetOption(m.Pipe(), ws.Request)
	require.NoError(t, err)
	require.Equal(t, "abc", hr.Header.Get("X-Token"))
	require.Equal(t, "/h", hr.URL.Path)
	require.Equal(t, "7", hr.URL.Query().Get("user"))
	require.Equal(t, ws.Subprotocol("rep"), hr.Header.Get("Sec-WebSocket-Protocol"))
	_, err = sp.GetOption(m.Pipe(), ws.Response)
	require.ErrorIs(t, err, sp.ErrBadOption)
	require.NoError(t, r.SendMsg(ctx(t), m))
	m, err = q.RecvMsg(ctx(t))
	require.NoError(t, err)
	resp, err := sp.GetOption(m.Pipe(), ws.Response)
	require.NoError(t, err)
	require.Equal(t, http.StatusSwitchingProtocols, resp.StatusCode)
	require.Equal(t, "sp-rep", resp.Header.Get("X-Server"))
	m.Free()
}

// TestOrigin: by default a foreign Origin is refused (403) and the same
// origin accepted; CheckOrigin replaces the rule.
func TestOrigin(t *testing.T) {
	r := newSocket(t, rep.NewSocket)
	_, url := listen(t, r, "ws://127.0.0.1:0/o")
	host := strings.TrimPrefix(strings.TrimSuffix(url, "/o"), "ws://")
	q := newSocket(t, req.NewSocket)
	err := q.Dial(url, sp.WithDialSync(), sp.With(ws.RequestHeader, http.Header{"Origin": {"http://evil.example"}}))
	require.ErrorContains(t, err, "403")
	dial(t, q, url, sp.With(ws.RequestHeader, http.Header{"Origin": {"http://" + host}}))

	r2 := newSocket(t, rep.NewSocket)
	_, url2 := listen(t, r2, "ws://127.0.0.1:0/o2", sp.With(ws.CheckOrigin, func(r *http.Request) bool {
		return r.Header.Get("Origin") == "https://good.example"
	}))
	q2 := newSocket(t, req.NewSocket)
	err = q2.Dial(url2, sp.WithDialSync(), sp.With(ws.RequestHeader, http.Header{"Origin": {"http://" + host}}))
	require.ErrorContains(t, err, "403")
	dial(t, q2, url2, sp.With(ws.RequestHeader, http.Header{"Origin": {"https://good.example"}}))
	require.NoError(t, q2.Send(ctx(t), []byte("x")))
	_, err = r2.Recv(ctx(t))
	require.NoError(t, err)
}

// TestWrongProtocol: a socket dialing a listener of a protocol that is not
// its peer is refused in the upgrade.
func TestWrongProtocol(t *testing.T) {
	r := newSocket(t, rep.NewSocket)
	_, url := listen(t, r, "ws://127.0.0.1:0/rep")
	s := newSocket(t, sub.NewSocket) // asks for pub.sp.nanomsg.org
	err := s.Dial(url, sp.WithDialSync())
	require.ErrorIs(t, err, sp.ErrBadProtocol)
	require.ErrorContains(t, err, "400")
}

// TestBadConfig: bad addresses and a wss listener without a certificate.
func TestBadConfig(t *testing.T) {
	s := newSocket(t, rep.NewSocket)
	for _, u := range []string{"ws://127.0.0.1/x#f", "ws://127.0.0.1:99999/", "ws://u@127.0.0.1:1/"} {
		_, err := s.NewListener(u)
		require.ErrorIs(t, err, sp.ErrBadURL, u)
	}
	for _, u := range []string{"ws://:5555/", "ws://127.0.0.1:0/"} {
		_, err := s.NewDialer(u)
		require.ErrorIs(t, err, sp.ErrBadURL, u)
	}
	_, err := s.Listen("wss://127.0.0.1:0/")
	require.ErrorIs(t, err, sp.ErrBadOption)
	require.ErrorIs(t, sp.SetOption(s, ws.MaxFrameSize, 10), sp.ErrBadOption)
	q := newSocket(t, req.NewSocket)
	err = q.Dial("ws://127.0.0.1:1/", sp.WithDialSync())
	require.ErrorIs(t, err, sp.ErrConnRefused)
}

// TestCloseUnblocks: closing a socket with a pipe blocked mid-message (the
// peer stopped reading) returns promptly.
func TestCloseUnblocks(t *testing.T) {
	ps := newSocket(t, push.NewSocket)
	_, url := listen(t, ps, "ws://127.0.0.1:0/")
	c := rawDial(t, url, ws.Subprotocol("push"), nil)
	defer c.Close()
	for range 32 {
		require.NoError(t, ps.Send(ctx(t), make([]byte, 1<<20)))
	}
	start := time.Now()
	require.NoError(t, ps.Close())
	require.Less(t, time.Since(start), 2*time.Second)
	_, _, err := c.ReadMessage()
	for err == nil {
		_, _, err = c.ReadMessage()
	}
	require.Error(t, err)
}
