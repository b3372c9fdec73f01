package sp_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/sptest"
	"github.com/spgo/sp/protocol/pair"
	"github.com/stretchr/testify/require"
)

// A pipe hook may close its socket, dialer or listener, or shut the socket
// down, on any event, without deadlock: nothing those calls wait for waits
// for the hook.
func TestHookMayClose(t *testing.T) {
	type ends struct {
		s sp.Socket // the socket with the hook: it listens
		l sp.Listener
	}
	calls := []struct {
		name string
		call func(ctx context.Context, e *ends) error
	}{
		{"Socket.Close", func(_ context.Context, e *ends) error { return e.s.Close() }},
		{"Socket.Shutdown", func(ctx context.Context, e *ends) error { return e.s.Shutdown(ctx) }},
		{"Listener.Close", func(_ context.Context, e *ends) error { return e.l.Close() }},
	}
	events := []sp.PipeEvent{sp.PipeAdding, sp.PipeAdded, sp.PipeRemoved}
	sptest.Transports(t, func(t *testing.T, tr sptest.Transport) {
		for _, c := range calls {
			for _, ev := range events {
				t.Run(c.name+"/"+ev.String(), func(t *testing.T) {
					ctx := sptest.Ctx(t)
					e := &ends{s: sptest.New(t, pair.NewSocket)}
					peer := sptest.New(t, pair.NewSocket)
					returned := make(chan error, 1)
					var once sync.Once
					e.s.SetPipeHook(func(got sp.PipeEvent, _ sp.Pipe) bool {
						if got == ev {
							once.Do(func() { returned <- c.call(ctx, e) })
						}
						return true
					})
					l, err := e.s.Listen(tr.Addr(t))
					require.NoError(t, err)
					e.l = l
					require.NoError(t, peer.Dial(l.URL()))
					if ev == sp.PipeRemoved {
						require.NoError(t, e.s.WaitPeers(ctx, 1))
						require.NoError(t, peer.Close()) // the pipe goes
					}
					select {
					case err := <-returned:
						require.NoError(t, err, "%s from a %s hook", c.name, ev)
					case <-time.After(sptest.Timeout):
						t.Fatalf("%s from a %s hook did not return within %v", c.name, ev, sptest.Timeout)
					}
					require.NoError(t, e.s.Close(), "Close after the hook's %s", c.name)
				})
			}
		}
	})
}

// A dialer's hook may close that dialer, on every event.
func TestHookMayCloseDialer(t *testing.T) {
	for _, ev := range []sp.PipeEvent{sp.PipeAdding, sp.PipeAdded, sp.PipeRemoved} {
		t.Run(ev.String(), func(t *testing.T) {
			ctx := sptest.Ctx(t)
			srv := sptest.New(t, pair.NewSocket)
			addr := sptest.Listen(t, srv, sptest.TCPAddr(t))
			s := sptest.New(t, pair.NewSocket)
			d, err := s.NewDialer(addr)
			require.NoError(t, err)
			returned := make(chan error, 1)
			var once sync.Once
			s.SetPipeHook(func(got sp.PipeEvent, _ sp.Pipe) bool {
				if got == ev {
					once.Do(func() { returned <- d.Close() })
				}
				return true
			})
			require.NoError(t, d.Dial())
			if ev == sp.PipeRemoved {
				require.NoError(t, s.WaitPeers(ctx, 1))
				require.NoError(t, srv.Close())
			}
			select {
			case err := <-returned:
				require.NoError(t, err, "Dialer.Close from a %s hook", ev)
			case <-time.After(sptest.Timeout):
				t.Fatalf("Dialer.Close from a %s hook did not return within %v", ev, sptest.Timeout)
			}
		})
	}
}

// Hook calls come one at a time, in the order of the events: for each pipe
// PipeAdding, PipeAdded, PipeRemoved; and Close returns once the hook has
// been told of every pipe's removal.
func TestHookOrderAndClose(t *testing.T) {
	s := sptest.New(t, pair.NewSocket) // one peer at a time: the others are refused after PipeAdding
	addr := sptest.Listen(t, s, sptest.TCPAddr(t))
	var mu sync.Mutex
	seen := make(map[uint32][]sp.PipeEvent)
	inHook, overlaps := 0, 0
	s.SetPipeHook(func(ev sp.PipeEvent, p sp.Pipe) bool {
		mu.Lock()
		inHook++
		if inHook > 1 {
			overlaps++
		}
		seen[p.ID()] = append(seen[p.ID()], ev)
		mu.Unlock()
		time.Sleep(time.Millisecond) // widen any overlap
		mu.Lock()
		inHook--
		mu.Unlock()
		return true
	})
	for range 5 {
		peer := sptest.New(t, pair.NewSocket)
		sptest.Dial(t, peer, addr)
		require.NoError(t, s.WaitPeers(sptest.Ctx(t), 1))
		require.NoError(t, peer.Close())
	}
	require.NoError(t, s.Close())
	mu.Lock()
	defer mu.Unlock()
	require.Zero(t, overlaps, "hook calls that overlapped another: got %d, want 0", overlaps)
	require.NotEmpty(t, seen)
	for id, evs := range seen {
		switch len(evs) {
		case 1: // refused by pair after PipeAdding (a second peer while the first was there)
			require.Equal(t, []sp.PipeEvent{sp.PipeAdding}, evs, "pipe %d", id)
		default:
			require.Equal(t, []sp.PipeEvent{sp.PipeAdding, sp.PipeAdded, sp.PipeRemoved}, evs,
				"pipe %d: got %v, want adding, added, removed (removed before Close returned)", id, evs)
		}
	}
}
