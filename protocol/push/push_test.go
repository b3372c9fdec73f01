package push_test

import (
	"context"
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
