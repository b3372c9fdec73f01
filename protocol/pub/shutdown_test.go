package pub_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/sptest"
	"github.com/spgo/sp/protocol/pub"
	"github.com/spgo/sp/protocol/sub"
	"github.com/stretchr/testify/require"
)

// The messages queued for each subscriber when the publisher shuts down
// reach the subscribers' sockets (whose queues have room for them all).
func TestShutdownReachesSubscribers(t *testing.T) {
	const subs, n = 2, 500
	sptest.Wires(t, func(t *testing.T, w sptest.Wire) {
		p := sptest.New(t, pub.NewSocket)
		require.NoError(t, sp.SetOption(p, sp.SendQueueLen, n))
		addr := w.Listen(t, p)
		ss := make([]sp.Socket, subs)
		for i := range ss {
			ss[i] = sptest.New(t, sub.NewSocket)
			require.NoError(t, sp.SetOption(ss[i], sp.RecvQueueLen, n))
			require.NoError(t, sp.SetOption(ss[i], sp.RecvTimeout, 5*time.Second))
			subscribe(t, ss[i], "")
			w.Dial(t, ss[i], addr)
		}
		ctx := sptest.Ctx(t)
		require.NoError(t, p.WaitPeers(ctx, subs))
		for i := range n {
			require.NoError(t, p.Send(ctx, []byte(fmt.Sprint(i))))
		}
		require.NoError(t, p.Shutdown(ctx))
		for i, s := range ss {
			for j := range n {
				b, err := s.Recv(ctx)
				require.NoError(t, err, "subscriber %d, message %d", i, j)
				require.Equal(t, fmt.Sprint(j), string(b), "subscriber %d: got %q, want %q", i, b, fmt.Sprint(j))
			}
		}
	})
}
