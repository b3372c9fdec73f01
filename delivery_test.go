package sp_test

import (
	"fmt"
	"testing"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/sptest"
	"github.com/spgo/sp/protocol/bus"
	"github.com/spgo/sp/protocol/pub"
	"github.com/spgo/sp/protocol/star"
	"github.com/spgo/sp/protocol/sub"
	"github.com/stretchr/testify/require"
)

// bus, star and sub drop what finds their receive queue full, and count
// it, rather than stop reading: a receiver that does not keep up never
// holds up its peers. One that reads nothing, with a queue of 1, still
// takes every message off the connection, keeping the first.
func TestDropWhenFull(t *testing.T) {
	cases := []struct {
		name   string
		rx, tx func() (sp.Socket, error)
	}{
		{"bus", bus.NewSocket, bus.NewSocket},
		{"raw bus", bus.NewRawSocket, bus.NewSocket},
		{"star", star.NewSocket, star.NewSocket},
		{"raw sub", sub.NewRawSocket, pub.NewSocket},
		{"sub", func() (sp.Socket, error) {
			s, err := sub.NewSocket()
			if err == nil {
				err = sp.SetOption(s, sub.SubscribeOption, []byte{})
			}
			return s, err
		}, pub.NewSocket},
	}
	const n = 200
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx := sptest.Ctx(t)
			rx := sptest.New(t, c.rx)
			require.NoError(t, sp.SetOption(rx, sp.RecvQueueLen, 1))
			tx := sptest.New(t, c.tx)
			addr := sptest.Listen(t, rx, sptest.TCPAddr(t))
			sptest.Dial(t, tx, addr, sp.WithDialSync())
			require.NoError(t, tx.WaitPeers(ctx, 1))
			require.NoError(t, rx.WaitPeers(ctx, 1))
			for i := range n {
				require.NoError(t, tx.Send(ctx, []byte(fmt.Sprint(i))))
			}
			// Each message reaches rx, or the sender drops it itself
			// (its own queue full: it never waits either).
			sptest.Eventually(t, fmt.Sprintf("all %d messages received or dropped by the sender", n), func() bool {
				return rx.Stats().MsgsRecv+tx.Stats().Drops.QueueFull >= n
			})
			recv, drops := rx.Stats().MsgsRecv, rx.Stats().Drops.QueueFull
			require.Positive(t, drops, "receiver's drops: got 0, want some")
			require.Equal(t, recv-1, drops, "receiver's drops: got %d, want all it read but the one kept, %d", drops, recv-1)
			got, err := rx.Recv(ctx)
			require.NoError(t, err)
			require.Equal(t, "0", string(got), "the one message kept: got %q, want the first", got)
		})
	}
}
