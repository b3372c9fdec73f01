package rep_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/sptest"
	"github.com/spgo/sp/protocol/rep"
	"github.com/spgo/sp/protocol/req"
	"github.com/stretchr/testify/require"
)

// startServe runs Serve on s with h and returns a function that stops it
// and returns Serve's result.
func startServe(t *testing.T, s sp.Socket, srv *rep.Server) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, s) }()
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() {
			cancel()
			err = <-done
		})
		return err
	}
	t.Cleanup(func() { stop() })
	return stop
}

// concurrency counts the calls running at once, and the most seen.
type concurrency struct{ running, most atomic.Int32 }

// enter counts a call in; the function it returns counts it out.
func (c *concurrency) enter() (leave func()) {
	now := c.running.Add(1)
	for m := c.most.Load(); now > m && !c.most.CompareAndSwap(m, now); m = c.most.Load() {
	}
	return func() { c.running.Add(-1) }
}

// dialClients returns k req sockets dialed to addr.
func dialClients(t *testing.T, k int, addr string) []sp.Socket {
	t.Helper()
	clients := make([]sp.Socket, k)
	for i := range clients {
		clients[i] = sptest.New(t, req.NewSocket)
		sptest.Dial(t, clients[i], addr)
	}
	return clients
}

// requestAll makes n requests at once, "request i" on clients[i%len], and
// returns one result each: nil when the reply was "re: " and the request.
func requestAll(ctx context.Context, clients []sp.Socket, n int) <-chan error {
	errs := make(chan error, n)
	for i := range n {
		go func() {
			q := fmt.Sprintf("request %d", i)
			b, err := req.Request(ctx, clients[i%len(clients)], []byte(q))
			switch {
			case err != nil:
				errs <- fmt.Errorf("%s: %w", q, err)
			case string(b) != "re: "+q:
				errs <- fmt.Errorf("%s: got reply %q, want %q", q, b, "re: "+q)
			default:
				errs <- nil
			}
		}()
	}
	return errs
}

func echoHandler(prefix string) rep.Handler {
	return func(_ context.Context, q []byte) ([]byte, error) {
		return append([]byte(prefix), q...), nil
	}
}

// A thousand concurrent requesters (Request on ten shared req sockets)
// each get the reply to their own request from one Serve, and handlers
// run at once up to the concurrency asked for.
func TestServeThousandRequesters(t *testing.T) {
	const n, sockets, limit = 1000, 10, 64
	sptest.Transports(t, func(t *testing.T, tr sptest.Transport) {
		server := sptest.New(t, rep.NewSocket)
		addr := sptest.Listen(t, server, tr.Addr(t))
		var c concurrency
		release := make(chan struct{})
		startServe(t, server, &rep.Server{Concurrency: limit, Handler: func(_ context.Context, q []byte) ([]byte, error) {
			defer c.enter()()
			<-release // hold every handler until the limit is reached
			return append([]byte("re: "), q...), nil
		}})
		errs := requestAll(sptest.Ctx(t), dialClients(t, sockets, addr), n)
		sptest.Eventually(t, "the handlers to fill the concurrency limit", func() bool { return c.running.Load() == limit })
		close(release)
		for range n {
			require.NoError(t, <-errs)
		}
		require.Equal(t, int32(limit), c.most.Load(), "got %d handlers at once, want at most (and at some point) %d", c.most.Load(), limit)
	})
}

// inlineModes runs f with Server.Inline false, then true.
func inlineModes(t *testing.T, f func(t *testing.T, inline bool)) {
	for _, inline := range []bool{false, true} {
		t.Run(fmt.Sprintf("inline=%v", inline), func(t *testing.T) { f(t, inline) })
	}
}

// A handler's error or panic sends no reply and is counted; Serve goes on
// answering the next requests.
func TestServeHandlerErrorAndPanic(t *testing.T) { inlineModes(t, testServeHandlerErrorAndPanic) }

func testServeHandlerErrorAndPanic(t *testing.T, inline bool) {
	server, client := sptest.New(t, rep.NewSocket), sptest.New(t, req.NewSocket)
	sptest.Connect(t, client, server, sptest.InprocAddr())
	startServe(t, server, &rep.Server{Concurrency: 2, Inline: inline, Handler: func(_ context.Context, q []byte) ([]byte, error) {
		switch string(q) {
		case "fail":
			return nil, errors.New("no")
		case "panic":
			panic("handler panic")
		}
		return q, nil
	}})
	ctx := sptest.Ctx(t)
	for _, q := range []string{"fail", "panic"} {
		short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
		_, err := req.Request(short, client, []byte(q))
		cancel()
		require.ErrorIs(t, err, sp.ErrTimeout, "request %q: got %v, want no reply (ErrTimeout)", q, err)
	}
	b, err := req.Request(ctx, client, []byte("ok"))
	require.NoError(t, err)
	require.Equal(t, "ok", string(b))
	st := server.Stats()
	require.Equal(t, uint64(2), st.Counters["handler_errors"], "got counters %v, want 2 errors (one a panic)", st.Counters)
	require.Equal(t, uint64(1), st.Counters["handler_panics"], "got counters %v, want 1 panic", st.Counters)
}

// Serve returns ctx's error when ctx ends, ErrClosed when the socket
// closes, and at once for sockets it cannot serve.
func TestServeReturns(t *testing.T) {
	h := echoHandler("")
	t.Run("ctx ends", func(t *testing.T) {
		s := sptest.New(t, rep.NewSocket)
		stop := startServe(t, s, &rep.Server{Handler: h})
		require.ErrorIs(t, stop(), context.Canceled)
	})
	t.Run("socket closes", func(t *testing.T) {
		s := sptest.New(t, rep.NewSocket)
		done := make(chan error, 1)
		go func() { done <- rep.Serve(context.Background(), s, h) }()
		time.Sleep(10 * time.Millisecond) // let Serve open its contexts (either order must work)
		require.NoError(t, s.Close())
		require.ErrorIs(t, <-done, sp.ErrClosed)
	})
	for _, tc := range []struct {
		name string
		ctor func() (sp.Socket, error)
		h    rep.Handler
		want error
		text string
	}{
		{"raw rep", rep.NewRawSocket, h, sp.ErrNotSupported, "raw rep"},
		{"req socket", req.NewSocket, h, sp.ErrNotSupported, "not a req socket"},
		{"nil handler", rep.NewSocket, nil, sp.ErrBadState, "handler"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := rep.Serve(context.Background(), sptest.New(t, tc.ctor), tc.h)
			require.ErrorIs(t, err, tc.want)
			require.True(t, strings.Contains(err.Error(), tc.text), "got %q, want it to mention %q", err, tc.text)
		})
	}
}

// A reply is copied before the request's buffer is reused, so a handler
// may answer with a slice of its request.
func TestServeReplyMayAliasRequest(t *testing.T) { inlineModes(t, testServeReplyMayAliasRequest) }

func testServeReplyMayAliasRequest(t *testing.T, inline bool) {
	server, client := sptest.New(t, rep.NewSocket), sptest.New(t, req.NewSocket)
	sptest.Connect(t, client, server, sptest.TCPAddr(t))
	startServe(t, server, &rep.Server{Concurrency: 4, Inline: inline, Handler: func(_ context.Context, q []byte) ([]byte, error) {
		return q[len(q)/2:], nil
	}})
	ctx := sptest.Ctx(t)
	for i := range 200 {
		q := fmt.Sprintf("%04d%04d", i, i)
		b, err := req.Request(ctx, client, []byte(q))
		require.NoError(t, err)
		require.Equal(t, q[4:], string(b))
	}
}

// When Serve's ctx ends, no new request is taken, Serve waits for the
// handlers running, and the replies they return are still sent.
func TestServeCancelSendsRepliesInFlight(t *testing.T) {
	inlineModes(t, testServeCancelSendsRepliesInFlight)
}

func testServeCancelSendsRepliesInFlight(t *testing.T, inline bool) {
	const n = 3 // one per client: inline handlers run one at a time per connection
	server := sptest.New(t, rep.NewSocket)
	addr := sptest.Listen(t, server, sptest.TCPAddr(t))
	clients := dialClients(t, n, addr)
	started, release := make(chan struct{}, n), make(chan struct{})
	stop := startServe(t, server, &rep.Server{Concurrency: n, Inline: inline, Handler: func(_ context.Context, q []byte) ([]byte, error) {
		started <- struct{}{}
		<-release
		return append([]byte("re: "), q...), nil
	}})
	ctx := sptest.Ctx(t)
	errs := requestAll(ctx, clients, n)
	for range n {
		<-started
	}
	stopped := make(chan error, 1)
	go func() { stopped <- stop() }()
	select {
	case err := <-stopped:
		t.Fatalf("Serve returned (%v) with %d handlers running, want it to wait for them", err, n)
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	require.ErrorIs(t, <-stopped, context.Canceled)
	for range n {
		require.NoError(t, <-errs, "a reply returned after ctx ended was not sent")
	}
}
