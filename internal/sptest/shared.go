package sptest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/spgo/sp"
)

// RefusesSecondPeer checks a one-peer protocol (pair, monogamous pair1)
// over every transport: a second peer is refused while the first lasts,
// takes its place once the first leaves, and then talks both ways.
func RefusesSecondPeer(t *testing.T, newSocket func() (sp.Socket, error)) {
	Transports(t, func(t *testing.T, tr Transport) {
		b := New(t, newSocket)
		first, second := New(t, newSocket), New(t, newSocket)
		bPipes := CountPipes(b, nil)
		secondPipes := CountPipes(second, nil)
		addr := Listen(t, b, tr.Addr(t))
		Dial(t, first, addr)
		bPipes.WaitLive(t, 1)

		require.NoError(t, second.Dial(addr, sp.With(sp.ReconnectMin, 5*time.Millisecond),
			sp.With(sp.ReconnectMax, 20*time.Millisecond)))
		// The second peer's side completes the handshake, then b closes it.
		secondPipes.Wait(t, "the second peer to be refused", func(live, added int) bool {
			return added >= 1 && live == 0
		})
		require.Equal(t, 1, bPipes.Added(), "b accepted a second peer")

		ctx := Ctx(t)
		require.NoError(t, b.Send(ctx, []byte("to first")))
		got, err := first.Recv(ctx)
		require.NoError(t, err)
		require.Equal(t, "to first", string(got))

		require.NoError(t, first.Close())
		bPipes.Wait(t, "the second peer to take over", func(live, added int) bool {
			return live == 1 && added == 2
		})
		require.NoError(t, b.Send(ctx, []byte("to second")))
		got, err = second.Recv(ctx)
		require.NoError(t, err)
		require.Equal(t, "to second", string(got))
		require.NoError(t, second.Send(ctx, []byte("from second")))
		got, err = b.Recv(ctx)
		require.NoError(t, err)
		require.Equal(t, "from second", string(got))
	})
}

// CloseUnblocks makes a socket with newSocket, listening over inproc,
// starts op on it (a call that blocks: Recv with nothing to receive, Send
// with no peer), closes the socket, and checks that op returns
// sp.ErrClosed within Timeout. The socket is returned, closed.
func CloseUnblocks(t *testing.T, newSocket func() (sp.Socket, error), op func(sp.Socket) error) sp.Socket {
	t.Helper()
	s := New(t, newSocket)
	Listen(t, s, InprocAddr())
	errc := make(chan error, 1)
	go func() { errc <- op(s) }()
	// Give op the time to block, so that Close finds it blocked (not a
	// guarantee: op returning ErrClosed on a socket already closed passes
	// too).
	time.Sleep(20 * time.Millisecond)
	require.NoError(t, s.Close())
	timer := time.NewTimer(Timeout)
	defer timer.Stop()
	select {
	case err := <-errc:
		require.ErrorIs(t, err, sp.ErrClosed, "got %v, want ErrClosed", err)
	case <-timer.C:
		t.Fatalf("still blocked %v after Close", Timeout)
	}
	return s
}

// Answerer is what Answer serves: a socket or a context.
type Answerer interface {
	Send(ctx context.Context, b []byte) error
	Recv(ctx context.Context) ([]byte, error)
	Close() error
}

// Answer answers every message x receives with answer(message), in a
// goroutine, until a Recv or Send on x fails (x closes). When the test
// ends it closes x and waits for the goroutine.
func Answer(t testing.TB, x Answerer, answer func([]byte) []byte) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			q, err := x.Recv(context.Background())
			if err != nil {
				return
			}
			if x.Send(context.Background(), answer(q)) != nil {
				return
			}
		}
	}()
	t.Cleanup(func() {
		x.Close()
		<-done
	})
}
