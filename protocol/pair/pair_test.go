package pair_test

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/leaktest"
	"github.com/spgo/sp/internal/sptest"
	"github.com/spgo/sp/protocol/pair"
	"github.com/spgo/sp/protocol/push"
	"github.com/stretchr/testify/require"
)

func TestMain(m *testing.M) { leaktest.VerifyTestMain(m) }

// Both ends send at once; each receives the other's messages in order.
func TestPairBothWaysOrdered(t *testing.T) {
	sptest.Transports(t, func(t *testing.T, tr sptest.Transport) {
		a, b := sptest.Pair(t, tr, pair.NewSocket, pair.NewSocket)
		ctx := sptest.Ctx(t)
		const n = 500
		errs := make(chan error, 2)
		for _, x := range []struct {
			s    sp.Socket
			name string
		}{{a, "a"}, {b, "b"}} {
			go func() {
				for i := range n {
					if err := x.s.Send(ctx, []byte(fmt.Sprintf("%s%d", x.name, i))); err != nil {
						errs <- fmt.Errorf("%s Send #%d: %w", x.name, i, err)
						return
					}
				}
				errs <- nil
			}()
		}
		for _, x := range []struct {
			s    sp.Socket
			from string
		}{{b, "a"}, {a, "b"}} {
			for i := range n {
				got, err := x.s.Recv(ctx)
				require.NoError(t, err, "Recv #%d from %s", i, x.from)
				want := fmt.Sprintf("%s%d", x.from, i)
				require.Equal(t, want, string(got), "got %q, want %q", got, want)
			}
		}
		require.NoError(t, <-errs)
		require.NoError(t, <-errs)
	})
}

func TestPair16MiBBothWays(t *testing.T) {
	sptest.Transports(t, func(t *testing.T, tr sptest.Transport) {
		a, b := sptest.New(t, pair.NewSocket), sptest.New(t, pair.NewSocket)
		for _, s := range []sp.Socket{a, b} {
			require.NoError(t, sp.SetOption(s, sp.RecvMaxSize, 16<<20))
		}
		sptest.Connect(t, a, b, tr.Addr(t))
		ctx := sptest.Ctx(t)
		want := sptest.Payload(16<<20, 9)
		require.NoError(t, a.Send(ctx, want))
		got, err := b.Recv(ctx)
		require.NoError(t, err)
		require.True(t, bytes.Equal(want, got), "a->b: got %d bytes, want %d identical ones", len(got), len(want))
		require.NoError(t, b.Send(ctx, got))
		back, err := a.Recv(ctx)
		require.NoError(t, err)
		require.True(t, bytes.Equal(want, back), "b->a: got %d bytes, want %d identical ones", len(back), len(want))
	})
}

// A message over the default limit closes the pipe; the dialer reconnects
// and the pair works again.
func TestPairTooLargeClosesPipe(t *testing.T) {
	sptest.Transports(t, func(t *testing.T, tr sptest.Transport) {
		a, b := sptest.New(t, pair.NewSocket), sptest.New(t, pair.NewSocket)
		pipes := sptest.CountPipes(b, nil)
		addr := sptest.Listen(t, b, tr.Addr(t))
		sptest.Dial(t, a, addr)
		pipes.WaitLive(t, 1)
		ctx := sptest.Ctx(t)
		require.NoError(t, a.Send(ctx, make([]byte, 1<<20+1)))
		pipes.Wait(t, "a reconnect after the oversized message", func(live, added int) bool {
			return live == 1 && added == 2
		})
		require.NoError(t, b.Send(ctx, []byte("again")))
		got, err := a.Recv(ctx)
		require.NoError(t, err)
		require.Equal(t, "again", string(got))
	})
}

// Pair v0 has one peer: a second one is refused while the first lasts, and
// takes its place once the first leaves.
func TestPairRefusesSecondPeer(t *testing.T) { sptest.RefusesSecondPeer(t, pair.NewSocket) }

// A pair socket only speaks to pair v0 peers.
func TestPairRejectsOtherProtocol(t *testing.T) {
	sptest.Transports(t, func(t *testing.T, tr sptest.Transport) {
		b := sptest.New(t, pair.NewSocket)
		addr := sptest.Listen(t, b, tr.Addr(t))
		p := sptest.New(t, push.NewSocket)
		err := p.Dial(addr, sp.WithDialSync())
		require.ErrorIs(t, err, sp.ErrBadProtocol, "push dialing pair: got %v, want ErrBadProtocol", err)
	})
}

func TestPairCloseUnblocksRecv(t *testing.T) {
	sptest.Transports(t, func(t *testing.T, tr sptest.Transport) {
		a, _ := sptest.Pair(t, tr, pair.NewSocket, pair.NewSocket)
		errc := make(chan error, 1)
		go func() { _, err := a.Recv(sptest.Ctx(t)); errc <- err }()
		require.NoError(t, a.Close())
		select {
		case err := <-errc:
			require.ErrorIs(t, err, sp.ErrClosed, "Recv blocked at Close: got %v, want ErrClosed", err)
		case <-time.After(2 * time.Second):
			t.Fatal("Recv did not return within 2 s of Close")
		}
	})
}

func TestPairSendTimeoutWithoutPeer(t *testing.T) {
	a := sptest.New(t, pair.NewSocket)
	require.NoError(t, sp.SetOption(a, sp.SendTimeout, 20*time.Millisecond))
	err := a.Send(sptest.Ctx(t), []byte("x"))
	require.ErrorIs(t, err, sp.ErrTimeout, "Send with no peer: got %v, want ErrTimeout", err)
}

func TestPairReconnectsToNewListener(t *testing.T) {
	sptest.Transports(t, func(t *testing.T, tr sptest.Transport) {
		a := sptest.New(t, pair.NewSocket)
		old := sptest.New(t, pair.NewSocket)
		aPipes := sptest.CountPipes(a, nil)
		addr := sptest.Listen(t, old, tr.Addr(t))
		sptest.Dial(t, a, addr)
		require.NoError(t, old.Close())
		aPipes.WaitLive(t, 0)

		fresh := sptest.New(t, pair.NewSocket)
		sptest.Listen(t, fresh, addr)
		ctx := sptest.Ctx(t)
		require.NoError(t, a.Send(ctx, []byte("hello again")))
		got, err := fresh.Recv(ctx)
		require.NoError(t, err)
		require.Equal(t, "hello again", string(got))
		require.NoError(t, fresh.Send(ctx, []byte("welcome back")))
		got, err = a.Recv(ctx)
		require.NoError(t, err)
		require.Equal(t, "welcome back", string(got))
	})
}
