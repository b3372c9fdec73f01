package core_test

import (
	"net"
	"sync"
	"testing"
	"time"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/leaktest"
	"github.com/spgo/sp/internal/sptest"
	"github.com/spgo/sp/protocol/pair"
	"github.com/spgo/sp/protocol/pull"
	"github.com/spgo/sp/protocol/push"
	"github.com/stretchr/testify/require"
)

// Close is idempotent, may run concurrently, and leaves no goroutine behind.
func TestCloseIdempotentNoLeaks(t *testing.T) {
	sptest.Transports(t, func(t *testing.T, tr sptest.Transport) {
		t.Cleanup(leaktest.Check(t))
		src, sink := sptest.New(t, push.NewSocket), sptest.New(t, pull.NewSocket)
		sptest.Connect(t, src, sink, tr.Addr(t))
		// A dialer still trying, another listener, and blocked calls must
		// be cleaned up too.
		require.NoError(t, src.Dial(tr.Addr(t), sp.With(sp.ReconnectMin, time.Millisecond)))
		other := sptest.New(t, push.NewSocket)
		sptest.Listen(t, other, tr.Addr(t))
		ctx := sptest.Ctx(t)
		require.NoError(t, src.Send(ctx, []byte("x")))
		go sink.Recv(ctx)
		go sink.Recv(ctx)
		go other.Send(ctx, []byte("nobody"))

		socks := []sp.Socket{src, sink, other, src, sink}
		errs := make(chan error, len(socks))
		for _, s := range socks {
			go func() { errs <- s.Close() }()
		}
		for range socks {
			require.NoError(t, <-errs)
		}
		require.NoError(t, src.Close())
	})
}

// Pipe ids are positive, unique and increase with every new pipe.
func TestPipeIDsIncrease(t *testing.T) {
	sptest.Transports(t, func(t *testing.T, tr sptest.Transport) {
		sink := sptest.New(t, pull.NewSocket)
		var mu sync.Mutex
		var ids []uint32
		pipes := sptest.CountPipes(sink, func(ev sp.PipeEvent, p sp.Pipe) bool {
			if ev == sp.PipeAdded {
				mu.Lock()
				ids = append(ids, p.ID())
				mu.Unlock()
			}
			return true
		})
		addr := sptest.Listen(t, sink, tr.Addr(t))
		for i := 1; i <= 5; i++ {
			src := sptest.New(t, push.NewSocket)
			sptest.Dial(t, src, addr)
			pipes.WaitAdded(t, i)
			require.NoError(t, src.Close())
			pipes.WaitLive(t, 0)
		}
		mu.Lock()
		defer mu.Unlock()
		for i, id := range ids {
			require.NotZero(t, id)
			require.Less(t, id, uint32(1<<31), "pipe id %d is over 31 bits", id)
			if i > 0 {
				require.Greater(t, id, ids[i-1], "pipe ids must grow: %v", ids)
			}
		}
	})
}

// The hook sees adding, added, removed in that order for each pipe, and a
// pipe it rejects never joins; the dialer then tries again.
func TestPipeHookEventsAndReject(t *testing.T) {
	sptest.Transports(t, func(t *testing.T, tr sptest.Transport) {
		sink := sptest.New(t, pair.NewSocket)
		var mu sync.Mutex
		events := map[uint32][]sp.PipeEvent{}
		rejected := 0
		var peers []uint16
		pipes := sptest.CountPipes(sink, func(ev sp.PipeEvent, p sp.Pipe) bool {
			mu.Lock()
			defer mu.Unlock()
			events[p.ID()] = append(events[p.ID()], ev)
			if ev == sp.PipeAdding && rejected < 2 {
				rejected++
				return false
			}
			peers = append(peers, p.PeerProtocol())
			return true
		})
		addr := sptest.Listen(t, sink, tr.Addr(t))
		src := sptest.New(t, pair.NewSocket)
		require.NoError(t, src.Dial(addr, sp.With(sp.ReconnectMin, 2*time.Millisecond),
			sp.With(sp.ReconnectMax, 10*time.Millisecond)))
		pipes.WaitLive(t, 1)
		ctx := sptest.Ctx(t)
		require.NoError(t, src.Send(ctx, []byte("third time lucky")))
		got, err := sink.Recv(ctx)
		require.NoError(t, err)
		require.Equal(t, "third time lucky", string(got))
		require.NoError(t, src.Close())
		pipes.WaitLive(t, 0)

		mu.Lock()
		defer mu.Unlock()
		require.Len(t, events, 3, "pipes seen by the hook: %v", events)
		for _, id := range peers {
			require.Equal(t, uint16(pair.PeerID), id, "PeerProtocol in the hook")
		}
		var full, adding int
		for id, evs := range events {
			switch len(evs) {
			case 1:
				require.Equal(t, []sp.PipeEvent{sp.PipeAdding}, evs, "rejected pipe %d", id)
				adding++
			case 3:
				require.Equal(t, []sp.PipeEvent{sp.PipeAdding, sp.PipeAdded, sp.PipeRemoved}, evs, "pipe %d", id)
				full++
			default:
				t.Fatalf("pipe %d: events %v", id, evs)
			}
		}
		require.Equal(t, 2, adding, "rejected pipes")
		require.Equal(t, 1, full, "accepted pipes")
	})
}

// Close racing with Dial, Listen and pipes coming up leaves nothing behind,
// and every call that loses the race fails with ErrClosed.
func TestCloseRacesEndpoints(t *testing.T) {
	sptest.Transports(t, func(t *testing.T, tr sptest.Transport) {
		t.Cleanup(leaktest.Check(t))
		peer := sptest.New(t, push.NewSocket)
		addr := sptest.Listen(t, peer, tr.Addr(t))
		for range 200 {
			s, err := pull.NewSocket()
			require.NoError(t, err)
			errs := make(chan error, 3)
			go func() { errs <- s.Dial(addr, sp.WithDialSync()) }()
			go func() { errs <- s.Dial(addr) }()
			go func() { _, err := s.Listen(tr.Addr(t)); errs <- err }()
			require.NoError(t, s.Close())
			for range 3 {
				if err := <-errs; err != nil {
					require.ErrorIs(t, err, sp.ErrClosed, "a call racing Close: got %v", err)
				}
			}
			require.NoError(t, s.Close())
		}
	})
}

// Closing a dialer or a listener closes its own pipes and no others; the
// socket goes on with the rest.
func TestEndpointCloseClosesItsPipes(t *testing.T) {
	sptest.Transports(t, func(t *testing.T, tr sptest.Transport) {
		sink := sptest.New(t, pull.NewSocket)
		pipes := sptest.CountPipes(sink, nil)
		l1, err := sink.NewListener(tr.Addr(t))
		require.NoError(t, err)
		require.NoError(t, l1.Listen())
		addr2 := sptest.Listen(t, sink, tr.Addr(t))
		url1 := l1.URL()
		if ta, ok := l1.Addr().(*net.TCPAddr); ok {
			url1 = "tcp://" + ta.String()
		}

		src := sptest.New(t, push.NewSocket)
		d, err := src.NewDialer(url1, sp.WithDialSync())
		require.NoError(t, err)
		require.Equal(t, url1, d.URL())
		require.NoError(t, d.Dial())
		require.ErrorIs(t, d.Dial(), sp.ErrBadState, "second Dial of one dialer")
		other := sptest.New(t, push.NewSocket)
		sptest.Dial(t, other, addr2)
		pipes.WaitLive(t, 2)

		require.NoError(t, d.Close())
		pipes.WaitLive(t, 1)
		require.NoError(t, d.Close(), "second Close of a dialer")

		sptest.Dial(t, src, url1)
		pipes.WaitLive(t, 2)
		require.NoError(t, l1.Close())
		pipes.WaitLive(t, 1)

		ctx := sptest.Ctx(t)
		require.NoError(t, other.Send(ctx, []byte("still served")))
		got, err := sink.Recv(ctx)
		require.NoError(t, err)
		require.Equal(t, "still served", string(got))
		require.Equal(t, 3, pipes.Added(), "no pipe may come back through a closed endpoint")
	})
}
