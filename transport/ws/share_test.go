package ws_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/spgo/sp"
	"github.com/spgo/sp/protocol/rep"
	"github.com/spgo/sp/protocol/req"
	"github.com/spgo/sp/transport/ws"
)

// echoRep answers every request of r with name + ":" + request until r closes.
func echoRep(t *testing.T, r sp.Socket, name string) {
	require.NoError(t, sp.SetOption(r, sp.RecvTimeout, 0))
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			m, err := r.Recv(context.Background())
			if err != nil {
				return
			}
			if r.Send(context.Background(), []byte(name+":"+string(m))) != nil {
				return
			}
		}
	}()
	t.Cleanup(func() { r.Close(); <-done })
}

// ask sends one request on a fresh req socket dialing url and returns the
// reply.
func ask(t *testing.T, url, q string) string {
	t.Helper()
	s := newSocket(t, req.NewSocket)
	dial(t, s, url)
	require.NoError(t, s.Send(ctx(t), []byte(q)))
	b, err := s.Recv(ctx(t))
	require.NoError(t, err)
	require.NoError(t, s.Close())
	return string(b)
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	c := http.Client{Timeout: timeout, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := c.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

// TestSharedPort: two listeners on one port, /a and /b, share a server;
// other paths get 404; the port is free again when both have closed.
func TestSharedPort(t *testing.T) {
	a, b := newSocket(t, rep.NewSocket), newSocket(t, rep.NewSocket)
	echoRep(t, a, "a")
	echoRep(t, b, "b")
	la, urlA := listen(t, a, "ws://127.0.0.1:0/a")
	port := la.Addr().(*net.TCPAddr).Port
	lb, urlB := listen(t, b, fmt.Sprintf("ws://127.0.0.1:%d/b", port))
	require.Equal(t, port, lb.Addr().(*net.TCPAddr).Port)
	require.Equal(t, "a:1", ask(t, urlA, "1"))
	require.Equal(t, "b:2", ask(t, urlB, "2"))

	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	code, _ := get(t, base+"/c")
	require.Equal(t, http.StatusNotFound, code)
	code, _ = get(t, base+"/a/") // exact match only
	require.Equal(t, http.StatusNotFound, code)
	code, body := get(t, base+"/a") // not an upgrade
	require.Equal(t, http.StatusBadRequest, code, body)

	_, err := b.Listen(fmt.Sprintf("ws://127.0.0.1:%d/a", port))
	require.ErrorIs(t, err, sp.ErrAddrInUse)
	srv, _ := tlsConfigs(t)
	_, err = b.Listen(fmt.Sprintf("wss://127.0.0.1:%d/w", port), sp.With(sp.TLSConfig, srv))
	require.ErrorIs(t, err, sp.ErrAddrInUse)

	require.NoError(t, la.Close())
	q := newSocket(t, req.NewSocket)
	require.ErrorIs(t, q.Dial(urlA, sp.WithDialSync()), sp.ErrConnRefused) // 404 now
	require.Equal(t, "b:3", ask(t, urlB, "3"))
	require.NoError(t, lb.Close())
	// The server has stopped: the port can be bound again.
	require.Eventually(t, func() bool {
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			l.Close()
		}
		return err == nil
	}, timeout, 10*time.Millisecond)
}

// TestServeMux: two sp sockets mounted at /a and /b on an application's
// ServeMux that also serves /health, all on one port.
func TestServeMux(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok") })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: timeout}
	served := make(chan struct{})
	go func() { defer close(served); hs.Serve(ln) }()
	t.Cleanup(func() { hs.Close(); <-served })
	host := ln.Addr().String()

	a, b := newSocket(t, rep.NewSocket), newSocket(t, rep.NewSocket)
	echoRep(t, a, "a")
	echoRep(t, b, "b")
	on := sp.With(ws.ServeMux, mux)
	la, _ := listen(t, a, "ws://"+host+"/a", on)
	require.Equal(t, "/a", la.Addr().String())
	listen(t, b, "ws://"+host+"/b/", on)

	code, body := get(t, "http://"+host+"/health")
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, "ok", body)
	require.Equal(t, "a:1", ask(t, "ws://"+host+"/a", "1"))
	require.Equal(t, "b:2", ask(t, "ws://"+host+"/b/", "2"))
	code, _ = get(t, "http://"+host+"/b/x") // "/b/" is exact, not a subtree
	require.Equal(t, http.StatusNotFound, code)

	// A second listener on the same mux and path is refused until the
	// first closes; then the path answers 404 until one listens again.
	c := newSocket(t, rep.NewSocket)
	echoRep(t, c, "c")
	_, err = c.Listen("ws://"+host+"/a", on)
	require.ErrorIs(t, err, sp.ErrAddrInUse)
	require.NoError(t, la.Close())
	code, _ = get(t, "http://"+host+"/a")
	require.Equal(t, http.StatusNotFound, code)
	listen(t, c, "ws://"+host+"/a", on)
	require.Equal(t, "c:3", ask(t, "ws://"+host+"/a", "3"))
	require.True(t, strings.HasPrefix(ask(t, "ws://"+host+"/b/", "4"), "b:"))
}
