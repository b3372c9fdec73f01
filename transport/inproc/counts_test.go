package inproc

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/spgo/sp"
)

// TestRecvCounts checks that the receiving end's counts, which it keeps in
// the lane's slots rather than counters of its own, match what the sender
// counted whenever the receiver has taken all there is, for lanes of every
// shape (a limit that is a power of two fills the ring's length but one),
// while the sender laps the ring many times with bodies of varied sizes.
func TestRecvCounts(t *testing.T) {
	for _, limit := range []int{1, 2, 3, 4, 5, 8, 64} {
		t.Run(fmt.Sprint(limit), func(t *testing.T) {
			a, b := connPair(t)
			a.SetSendQueueLen(limit)
			msgs, bytes := b.RecvCounts()
			require.Zero(t, msgs, "before any send: got %d messages, want 0", msgs)
			require.Zero(t, bytes, "before any send: got %d bytes, want 0", bytes)
			var sent, sentBytes uint64
			for round := 0; round < 5*limit+7; round++ {
				// Fill the lane (as much of it as this round wants), then
				// take it all.
				n := 1 + round%limit
				for i := 0; i < n; i++ {
					m := sp.NewMessage(64)
					m.Body = append(m.Body, make([]byte, (round*7+i)%50)...)
					size := uint64(len(m.Body))
					taken, _, err := a.SendNow(m)
					require.NoError(t, err)
					require.True(t, taken, "round %d, message %d of %d: the lane of %d had no room", round, i, n, limit)
					sent++
					sentBytes += size
				}
				gotMsgs, gotBytes, queued := a.SendCounts()
				require.Equal(t, sent, gotMsgs, "sender's count: got %d, want %d", gotMsgs, sent)
				require.Equal(t, sentBytes, gotBytes, "sender's bytes: got %d, want %d", gotBytes, sentBytes)
				require.Equal(t, n, queued, "queued: got %d, want %d", queued, n)
				for i := 0; i < n; i++ {
					m, err := b.Recv(0)
					require.NoError(t, err)
					m.Free()
				}
				msgs, bytes := b.RecvCounts()
				require.Equal(t, sent, msgs, "round %d: received %d messages, want %d", round, msgs, sent)
				require.Equal(t, sentBytes, bytes, "round %d: received %d bytes, want %d", round, bytes, sentBytes)
				_, _, queued = a.SendCounts()
				require.Zero(t, queued, "queued once all is taken: got %d, want 0", queued)
			}
		})
	}
}

// TestRecvCountsFullLane keeps the lane full, refilling it whenever the
// sender sees room, and checks after each message taken that the receiving
// end's counts agree with each other: the bytes are those of the messages
// counted, however far behind the count is (a slot reused too soon would
// give the bytes of a later message).
func TestRecvCountsFullLane(t *testing.T) {
	for _, limit := range []int{1, 2, 3, 4, 8, 9} {
		t.Run(fmt.Sprint(limit), func(t *testing.T) {
			a, b := connPair(t)
			a.SetSendQueueLen(limit)
			prefix := []uint64{0} // prefix[i]: the bytes of the first i messages
			fill := func() {
				for {
					m := sp.NewMessage(64)
					m.Body = append(m.Body, make([]byte, 1+len(prefix)%40)...)
					size := uint64(len(m.Body))
					taken, _, err := a.SendNow(m)
					require.NoError(t, err)
					if !taken {
						m.Free()
						return
					}
					prefix = append(prefix, prefix[len(prefix)-1]+size)
				}
			}
			fill()
			require.Len(t, prefix, limit+1, "an empty lane of %d took %d", limit, len(prefix)-1)
			for i := 0; i < 10*limit; i++ {
				m, err := b.Recv(0)
				require.NoError(t, err)
				m.Free()
				fill()
				msgs, bytes := b.RecvCounts()
				require.LessOrEqual(t, msgs, uint64(i+1), "after %d taken: counted %d", i+1, msgs)
				require.Equal(t, prefix[msgs], bytes, "after %d taken, %d counted: got %d bytes, want %d", i+1, msgs, bytes, prefix[msgs])
			}
		})
	}
}
