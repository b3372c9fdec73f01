package push_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/leaktest"
	"github.com/spgo/sp/internal/sptest"
	"github.com/spgo/sp/protocol/pull"
	"github.com/spgo/sp/protocol/push"
	"github.com/stretchr/testify/require"
)

func TestMain(m *testing.M) { leaktest.VerifyTestMain(m) }

func TestPushPullOrdered(t *testing.T) {
	sptest.Transports(t, func(t *testing.T, tr sptest.Transport) {
		src, sink := sptest.Pair(t, tr, push.NewSocket, pull.NewSocket)
		ctx := sptest.Ctx(t)
		const n = 1000
		go func() {
			for i := range n {
				if err := src.Send(ctx, []byte(fmt.Sprint(i))); err != nil {
					return
				}
			}
		}()
		for i := range n {
			b, err := sink.Recv(ctx)
			require.NoError(t, err, "Recv #%d", i)
			require.Equal(t, fmt.Sprint(i), string(b), "message #%d out of order: got %q, want %q", i, b, fmt.Sprint(i))
		}
	})
}

func TestPushPullWrongDirection(t *testing.T) {
	src, sink := sptest.New(t, push.NewSocket), sptest.New(t, pull.NewSocket)
	ctx := sptest.Ctx(t)
	_, err := src.Recv(ctx)
	require.ErrorIs(t, err, sp.ErrNotSupported, "Recv on push: got %v, want ErrNotSupported", err)
	err = sink.Send(ctx, []byte("x"))
	require.ErrorIs(t, err, sp.ErrNotSupported, "Send on pull: got %v, want ErrNotSupported", err)
	require.Equal(t, sp.ProtocolInfo{Self: 0x50, Peer: 0x51, SelfName: "push", PeerName: "pull"}, src.Info())
	require.Equal(t, sp.ProtocolInfo{Self: 0x51, Peer: 0x50, SelfName: "pull", PeerName: "push"}, sink.Info())
}

func TestPushPull16MiB(t *testing.T) {
	sptest.Transports(t, func(t *testing.T, tr sptest.Transport) {
		src, sink := sptest.New(t, push.NewSocket), sptest.New(t, pull.NewSocket)
		require.NoError(t, sp.SetOption(sink, sp.RecvMaxSize, 17<<20))
		sptest.Connect(t, src, sink, tr.Addr(t))
		ctx := sptest.Ctx(t)
		want := sptest.Payload(16<<20, 3)
		require.NoError(t, src.Send(ctx, want))
		got, err := sink.Recv(ctx)
		require.NoError(t, err)
		require.Equal(t, len(want), len(got), "got %d bytes, want %d", len(got), len(want))
		require.True(t, bytes.Equal(want, got), "16 MiB payload corrupted")
	})
}

// A message over the default 1 MiB limit closes the pipe that carried it;
// the pull socket goes on receiving from its other pusher.
func TestPushPullTooLargeClosesOnlyThatPipe(t *testing.T) {
	sptest.Transports(t, func(t *testing.T, tr sptest.Transport) {
		sink := sptest.New(t, pull.NewSocket)
		big, small := sptest.New(t, push.NewSocket), sptest.New(t, push.NewSocket)
		pipes := sptest.CountPipes(sink, nil)
		addr := sptest.Listen(t, sink, tr.Addr(t))
		sptest.Dial(t, big, addr)
		sptest.Dial(t, small, addr)
		pipes.WaitLive(t, 2)
		ctx := sptest.Ctx(t)

		limit := sptest.Payload(1<<20, 1) // exactly the limit: fine
		require.NoError(t, big.Send(ctx, limit))
		got, err := sink.Recv(ctx)
		require.NoError(t, err)
		require.Equal(t, len(limit), len(got), "a message of exactly RecvMaxSize must pass")

		require.NoError(t, big.Send(ctx, sptest.Payload(1<<20+1, 2)))
		pipes.Wait(t, "the oversized pipe to close", func(live, _ int) bool { return live == 1 })

		require.NoError(t, small.Send(ctx, []byte("still here")))
		got, err = sink.Recv(ctx)
		require.NoError(t, err)
		require.Equal(t, "still here", string(got))
	})
}

func TestPushBlocksWithoutPuller(t *testing.T) {
	sptest.Transports(t, func(t *testing.T, tr sptest.Transport) {
		src := sptest.New(t, push.NewSocket)
		sptest.Listen(t, src, tr.Addr(t))
		require.NoError(t, sp.SetOption(src, sp.SendTimeout, 50*time.Millisecond))
		start := time.Now()
		err := src.Send(sptest.Ctx(t), []byte("nobody"))
		require.ErrorIs(t, err, sp.ErrTimeout, "Send with no puller: got %v, want ErrTimeout", err)
		require.ErrorIs(t, err, context.DeadlineExceeded)
		require.GreaterOrEqual(t, time.Since(start), 50*time.Millisecond, "Send returned before SendTimeout")

		// A context deadline reads as ErrTimeout too.
		require.NoError(t, sp.SetOption(src, sp.SendTimeout, 0))
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		defer cancel()
		err = src.Send(ctx, []byte("nobody"))
		require.ErrorIs(t, err, sp.ErrTimeout, "Send with a context deadline: got %v, want ErrTimeout", err)
	})
}

func TestPullRecvTimeout(t *testing.T) {
	sptest.Transports(t, func(t *testing.T, tr sptest.Transport) {
		_, sink := sptest.Pair(t, tr, push.NewSocket, pull.NewSocket)
		require.NoError(t, sp.SetOption(sink, sp.RecvTimeout, 30*time.Millisecond))
		start := time.Now()
		_, err := sink.Recv(sptest.Ctx(t))
		require.ErrorIs(t, err, sp.ErrTimeout, "Recv with nothing sent: got %v, want ErrTimeout", err)
		require.GreaterOrEqual(t, time.Since(start), 30*time.Millisecond)
		var ne interface{ Timeout() bool }
		require.True(t, errors.As(err, &ne) && ne.Timeout(), "ErrTimeout must report Timeout() == true")
	})
}

// Close wakes a Recv and a Send blocked in other goroutines with ErrClosed.
func TestCloseUnblocks(t *testing.T) {
	sptest.Transports(t, func(t *testing.T, tr sptest.Transport) {
		src, sink := sptest.New(t, push.NewSocket), sptest.New(t, pull.NewSocket)
		require.NoError(t, sp.SetOption(src, sp.SendQueueLen, 1))
		require.NoError(t, sp.SetOption(sink, sp.RecvQueueLen, 1))
		sptest.Connect(t, src, sink, tr.Addr(t))
		ctx := sptest.Ctx(t)

		// Fill every queue between the two until Send blocks, three
		// times in a row: the reader on the other side may still be
		// moving what the kernel holds into its queue after one timeout,
		// making room for a send meant to block.
		require.NoError(t, sp.SetOption(src, sp.SendTimeout, 20*time.Millisecond))
		for i, timeouts := 0, 0; timeouts < 3; i++ {
			err := src.Send(ctx, sptest.Payload(64<<10, byte(i)))
			if errors.Is(err, sp.ErrTimeout) {
				timeouts++
				continue
			}
			require.NoError(t, err)
			timeouts = 0
			require.Less(t, i, 100000, "Send never blocked")
		}
		require.NoError(t, sp.SetOption(src, sp.SendTimeout, 0))

		_, recvSock := sptest.Pair(t, tr, push.NewSocket, pull.NewSocket) // nobody sends on it
		errs := make(chan error, 2)
		go func() { errs <- src.Send(ctx, []byte("blocked")) }()
		go func() { _, err := recvSock.Recv(ctx); errs <- err }()

		require.NoError(t, src.Close())
		require.NoError(t, recvSock.Close())
		for range 2 {
			select {
			case err := <-errs:
				require.ErrorIs(t, err, sp.ErrClosed, "blocked call after Close: got %v, want ErrClosed", err)
			case <-time.After(2 * time.Second):
				t.Fatal("a blocked call did not return within 2 s of Close")
			}
		}
		// After Close every call fails the same way.
		require.ErrorIs(t, src.Send(ctx, []byte("late")), sp.ErrClosed)
		_, err := recvSock.Recv(ctx)
		require.ErrorIs(t, err, sp.ErrClosed)
		require.ErrorIs(t, src.Dial(tr.Addr(t)), sp.ErrClosed)
		_, err = recvSock.Listen(tr.Addr(t))
		require.ErrorIs(t, err, sp.ErrClosed)
		require.NoError(t, src.Close(), "a second Close must succeed")
	})
}

// When the listening socket goes away and another one listens on the same
// address, the dialer reconnects to it.
func TestPushReconnects(t *testing.T) {
	sptest.Transports(t, func(t *testing.T, tr sptest.Transport) {
		addr := tr.Addr(t)
		src := sptest.New(t, push.NewSocket)
		first := sptest.New(t, pull.NewSocket)
		pipes := sptest.CountPipes(src, nil)
		addr = sptest.Listen(t, first, addr)
		sptest.Dial(t, src, addr)
		ctx := sptest.Ctx(t)
		require.NoError(t, src.Send(ctx, []byte("one")))
		b, err := first.Recv(ctx)
		require.NoError(t, err)
		require.Equal(t, "one", string(b))

		require.NoError(t, first.Close())
		pipes.WaitLive(t, 0)

		second := sptest.New(t, pull.NewSocket)
		sptest.Listen(t, second, addr)
		require.NoError(t, src.Send(ctx, []byte("two"))) // waits for the new pipe
		b, err = second.Recv(ctx)
		require.NoError(t, err)
		require.Equal(t, "two", string(b))
		// The hook hears PipeAdded after the pipe is in use: wait for it.
		pipes.WaitAdded(t, 2)
		require.Equal(t, 2, pipes.Added(), "pipes ever added: got %d, want 2", pipes.Added())
	})
}

// An asynchronous Dial made before anyone listens connects once a listener
// appears.
func TestPushDialBeforeListen(t *testing.T) {
	sptest.Transports(t, func(t *testing.T, tr sptest.Transport) {
		addr := tr.Addr(t)
		src, sink := sptest.New(t, push.NewSocket), sptest.New(t, pull.NewSocket)
		log := sptest.NewLog()
		require.NoError(t, sp.SetOption(src, sp.Logger, slog.New(log)))
		require.NoError(t, src.Dial(addr, sp.With(sp.ReconnectMin, 5*time.Millisecond),
			sp.With(sp.ReconnectMax, 20*time.Millisecond)))
		log.Wait(t, "dial failed", 2) // it has tried, and retried, before anyone listens
		sptest.Listen(t, sink, addr)
		ctx := sptest.Ctx(t)
		require.NoError(t, src.Send(ctx, []byte("late binder")))
		b, err := sink.Recv(ctx)
		require.NoError(t, err)
		require.Equal(t, "late binder", string(b))
	})
}

// Twenty pullers share one pusher's messages evenly.
func TestPushFairAmongPullers(t *testing.T) {
	sptest.Transports(t, func(t *testing.T, tr sptest.Transport) {
		const pullers, each = 20, 25
		src := sptest.New(t, push.NewSocket)
		pipes := sptest.CountPipes(src, nil)
		addr := sptest.Listen(t, src, tr.Addr(t))
		sinks := make([]sp.Socket, pullers)
		for i := range sinks {
			sinks[i] = sptest.New(t, pull.NewSocket)
			sptest.Dial(t, sinks[i], addr)
		}
		pipes.WaitLive(t, pullers)

		ctx, cancel := context.WithCancel(sptest.Ctx(t))
		defer cancel()
		got := make(chan int, pullers*each)
		var wg sync.WaitGroup
		for i, s := range sinks {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					if _, err := s.Recv(ctx); err != nil {
						return
					}
					got <- i
				}
			}()
		}
		for i := range pullers * each {
			require.NoError(t, src.Send(ctx, []byte(fmt.Sprint(i))))
		}
		counts := make([]int, pullers)
		for range pullers * each {
			select {
			case i := <-got:
				counts[i]++
			case <-ctx.Done():
				t.Fatalf("only %v delivered before the deadline", counts)
			}
		}
		cancel()
		wg.Wait()
		for i, c := range counts {
			require.Equal(t, each, c, "puller %d got %d messages, want %d (all: %v)", i, c, each, counts)
		}
	})
}

// One puller receives everything from several pushers, each pusher's
// messages in order.
func TestPullFromManyPushers(t *testing.T) {
	sptest.Transports(t, func(t *testing.T, tr sptest.Transport) {
		const pushers, each = 5, 200
		sink := sptest.New(t, pull.NewSocket)
		addr := sptest.Listen(t, sink, tr.Addr(t))
		ctx := sptest.Ctx(t)
		for p := range pushers {
			src := sptest.New(t, push.NewSocket)
			sptest.Dial(t, src, addr)
			go func() {
				for i := range each {
					if src.Send(ctx, []byte(fmt.Sprintf("%d %d", p, i))) != nil {
						return
					}
				}
			}()
		}
		next := make([]int, pushers)
		for range pushers * each {
			b, err := sink.Recv(ctx)
			require.NoError(t, err)
			var p, i int
			_, err = fmt.Sscanf(string(b), "%d %d", &p, &i)
			require.NoError(t, err)
			require.Equal(t, next[p], i, "pusher %d: got message %d, want %d", p, i, next[p])
			next[p]++
		}
	})
}
