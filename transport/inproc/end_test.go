package inproc

import (
	"errors"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/spgo/sp"
)

// TestNothingLeftAfterEnd closes a connection while its peer sends as fast
// as it can (SendNow, the engine's way, or Send and Flush), and has the
// closing end read on until Recv fails, as the engine does to free what a
// closed pipe held: nothing may be left in the lane then, or it is lost to
// the pool (a sender that found the lane open must append before the end,
// not after the receiver has emptied it).
func TestNothingLeftAfterEnd(t *testing.T) {
	tests := []struct {
		name    string
		senders int
		flood   func(c *conn) // until the connection ends
	}{
		{"one sender", 1, flood},
		{"two senders", 2, flood},
		{"Send and Flush", 1, floodFlushed}, // one goroutine at a time
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			left := 0
			for round := range 500 {
				a, b := newConns(0x10, 0x11, Addr(t.Name()))
				var wg sync.WaitGroup
				for range tt.senders {
					wg.Go(func() { tt.flood(a) })
				}
				for range round % 50 { // the close comes at various points
					if m, err := b.Recv(0); err == nil {
						m.Free()
					}
				}
				b.Close()
				for {
					m, err := b.Recv(0)
					if err != nil {
						break
					}
					m.Free()
				}
				wg.Wait()
				for _, s := range b.in.ring {
					if s.m != nil {
						left++
					}
				}
				if m := b.r.handed(b.in); m != nil {
					left++
				}
			}
			require.Zerof(t, left, "got %d messages left in lanes emptied after the end, want 0", left)
		})
	}
}

// flood sends on c with SendNow until the connection ends.
func flood(c *conn) {
	for i := 0; ; i++ {
		m := numbered(i)
		taken, _, err := c.SendNow(m)
		if errors.Is(err, sp.ErrClosed) {
			return
		}
		if !taken {
			m.Free()
		}
	}
}

// floodFlushed sends on c with Send and Flush until the connection ends.
func floodFlushed(c *conn) {
	for i := 0; ; i++ {
		if err := c.Send(numbered(i)); err != nil {
			return
		}
		if err := c.Flush(); errors.Is(err, sp.ErrClosed) {
			return
		}
	}
}
