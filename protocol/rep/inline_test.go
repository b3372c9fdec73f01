package rep_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/spgo/sp/internal/sptest"
	"github.com/spgo/sp/protocol/rep"
	"github.com/spgo/sp/protocol/req"
	"github.com/stretchr/testify/require"
)

// With Inline, a thousand concurrent requesters on ten req sockets each get
// the reply to their own request, over every transport, and the handlers
// ran on the connections' readers: at most one per connection at once.
func TestServeInlineThousandRequesters(t *testing.T) {
	const n, sockets = 1000, 10
	sptest.Transports(t, func(t *testing.T, tr sptest.Transport) {
		server := sptest.New(t, rep.NewSocket)
		addr := sptest.Listen(t, server, tr.Addr(t))
		var c concurrency
		startServe(t, server, &rep.Server{Inline: true, Handler: func(_ context.Context, q []byte) ([]byte, error) {
			defer c.enter()()
			return append([]byte("re: "), q...), nil
		}})
		errs := requestAll(sptest.Ctx(t), dialClients(t, sockets, addr), n)
		for range n {
			require.NoError(t, <-errs)
		}
		require.LessOrEqual(t, c.most.Load(), int32(sockets), "got %d handlers at once, want at most one per connection (%d)", c.most.Load(), sockets)
		st := server.Stats()
		require.Equal(t, uint64(n), st.Traffic.MsgsSent, "got %d replies sent, want %d", st.Traffic.MsgsSent, n)
	})
}

// Serve with Inline returns only after the handlers running inline have
// returned, and a request that comes once Serve stopped waits for the next
// Recv instead of being answered.
func TestServeInlineStops(t *testing.T) {
	server, client := sptest.New(t, rep.NewSocket), sptest.New(t, req.NewSocket)
	sptest.Connect(t, client, server, sptest.TCPAddr(t))
	started, returned := make(chan struct{}), atomic.Bool{}
	stop := startServe(t, server, &rep.Server{Inline: true, Handler: func(ctx context.Context, q []byte) ([]byte, error) {
		if string(q) == "block" {
			close(started)
			<-ctx.Done()
			returned.Store(true)
		}
		return q, nil
	}})
	ctx := sptest.Ctx(t)
	go req.Request(ctx, client, []byte("block")) //nolint:errcheck // answered or not, the server's side is checked
	<-started
	require.ErrorIs(t, stop(), context.Canceled)
	require.True(t, returned.Load(), "Serve returned before its inline handler did")

	// Stopped: the next request waits in the socket for a Recv.
	c2 := sptest.New(t, req.NewSocket)
	sptest.Connect(t, c2, server, sptest.TCPAddr(t))
	require.NoError(t, c2.Send(ctx, []byte("later")))
	got, err := server.Recv(ctx)
	require.NoError(t, err)
	require.Equal(t, "later", string(got))
}

// Two inline Servers on one socket at once: the first answers inline, the
// second on its contexts; every request is answered once, and stopping the
// first leaves the second answering.
func TestServeInlineTwice(t *testing.T) {
	server, client := sptest.New(t, rep.NewSocket), sptest.New(t, req.NewSocket)
	sptest.Connect(t, client, server, sptest.TCPAddr(t))
	stop1 := startServe(t, server, &rep.Server{Inline: true, Handler: echoHandler("1:")})
	startServe(t, server, &rep.Server{Inline: true, Handler: echoHandler("2:")})
	ctx := sptest.Ctx(t)
	for i := range 20 {
		b, err := req.Request(ctx, client, []byte(fmt.Sprint(i)))
		require.NoError(t, err)
		require.Contains(t, []string{"1:" + fmt.Sprint(i), "2:" + fmt.Sprint(i)}, string(b))
	}
	require.ErrorIs(t, stop1(), context.Canceled)
	for i := range 20 {
		b, err := req.Request(ctx, client, []byte(fmt.Sprint(i)))
		require.NoError(t, err)
		require.Equal(t, "2:"+fmt.Sprint(i), string(b), "after the first Server stopped: got %q", b)
	}
}
