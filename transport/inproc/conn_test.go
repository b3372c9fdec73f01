package inproc

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/spgo/sp"
)

// connPair returns the two ends of a fresh connection.
func connPair(t *testing.T) (*conn, *conn) {
	a, b := newConns(0x10, 0x11, Addr(t.Name()))
	t.Cleanup(func() { a.Close() })
	return a, b
}

func numbered(i int) *sp.Message {
	m := sp.NewMessage(16)
	m.Body = fmt.Appendf(m.Body, "%d", i)
	return m
}

// TestBatchesKeepOrder sends messages in batches of every size, flushing at
// random points and now and then through SendNow, and receives them in
// order, with Buffered telling the truth between them. It runs many seeds:
// the receiver's waits and the senders' wakes interleave differently each
// time (one order once left the receiver asleep with the lane full: a
// sender claimed its wake for a tail that did not bring its message).
func TestBatchesKeepOrder(t *testing.T) {
	seeds := 200
	if testing.Short() {
		seeds = 20
	}
	for seed := range seeds {
		a, b := connPair(t)
		const n = 2000
		rng := rand.New(rand.NewPCG(1, uint64(seed)))
		errc := make(chan error, 1)
		go func() {
			for i := 0; i < n; i++ {
				m := numbered(i)
				if rng.IntN(10) == 0 {
					if ok, _, err := a.SendNow(m); ok || err != nil {
						if err != nil {
							errc <- err
							return
						}
						continue
					}
				}
				if err := a.Send(m); err != nil {
					errc <- err
					return
				}
				if rng.IntN(7) == 0 {
					if err := a.Flush(); err != nil {
						errc <- err
						return
					}
				}
			}
			errc <- a.Flush()
		}()
		got := make(chan error, 1)
		go func() {
			for i := 0; i < n; i++ {
				m, err := b.Recv(0)
				if err != nil {
					got <- err
					return
				}
				if string(m.Body) != fmt.Sprint(i) {
					got <- fmt.Errorf("message %d: got %q", i, m.Body)
					return
				}
				m.Free()
			}
			got <- nil
		}()
		select {
		case err := <-got:
			require.NoError(t, err, "seed %d", seed)
		case <-time.After(10 * time.Second):
			t.Fatalf("seed %d: the receiver is still waiting after 10 s, want all %d messages", seed, n)
		}
		require.NoError(t, <-errc, "seed %d", seed)
		require.False(t, b.Buffered(), "seed %d: got Buffered true with nothing sent, want false", seed)
		a.Close()
	}
}

func TestSentBeforeCloseDelivered(t *testing.T) {
	a, b := connPair(t)
	for i := range 3 {
		require.NoError(t, a.Send(numbered(i)))
	}
	require.NoError(t, a.Flush())
	a.Close()
	for i := range 3 {
		require.True(t, b.Buffered(), "got Buffered false with messages waiting, want true")
		m, err := b.Recv(0)
		require.NoError(t, err)
		require.Equal(t, fmt.Sprint(i), string(m.Body))
		m.Free()
	}
	_, err := b.Recv(0)
	require.ErrorIs(t, err, sp.ErrClosed)
	require.ErrorIs(t, a.Send(numbered(9)), nil, "Send only gathers")
	require.ErrorIs(t, a.Flush(), sp.ErrClosed)
}

func TestWireForm(t *testing.T) {
	tests := []struct {
		name   string
		body   int // capacity asked of NewMessage
		shared bool
	}{
		{"room in front", 64, false},
		{"no room", 256, false}, // the body fills its buffer
		{"shared", 64, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := sp.NewMessage(tt.body)
			m.Body = m.Body[:cap(m.Body)]
			if tt.name == "room in front" {
				m.Body = m.Body[:tt.body]
			}
			for i := range m.Body {
				m.Body[i] = byte(i)
			}
			want := append([]byte{0, 0, 0, 7}, m.Body...)
			orig := append([]byte(nil), m.Body...)
			m.Header = append(m.Header, 0, 0, 0, 7)
			var other *sp.Message
			if tt.shared {
				other = m.Clone()
			}
			got := wireForm(m)
			require.Equal(t, want, got.Body)
			require.Empty(t, got.Header)
			if tt.shared {
				require.NotSame(t, m, got, "a shared message must be copied")
				require.Equal(t, orig, other.Body, "the other holder's body changed")
				other.Free()
			}
			got.Free()
		})
	}
}
