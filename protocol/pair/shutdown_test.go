package pair_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/sptest"
	"github.com/spgo/sp/protocol/pair"
	"github.com/stretchr/testify/require"
)

// a shuts down while its peer b sends to it all along and a never
// receives: everything a sent reaches b (closing a while it has unread
// bytes would reset the connection, and lose what a's kernel had yet to
// send), and Shutdown does not wait for a's full receive queue.
func TestShutdownWhilePeerSends(t *testing.T) {
	const n = 3000
	sptest.Wires(t, func(t *testing.T, w sptest.Wire) {
		a, b := sptest.New(t, pair.NewSocket), sptest.New(t, pair.NewSocket)
		require.NoError(t, sp.SetOption(b, sp.RecvTimeout, 5*time.Second))
		w.Connect(t, a, b)
		ctx := sptest.Ctx(t)
		flood, stop := context.WithCancel(ctx)
		flooded := make(chan struct{})
		go func() { // b sends to a until the end
			defer close(flooded)
			for flood.Err() == nil {
				sctx, cancel := context.WithTimeout(flood, 10*time.Millisecond)
				b.Send(sctx, make([]byte, 1024))
				cancel()
			}
		}()
		defer func() { stop(); <-flooded }()
		got := make(chan int, 1)
		go func() {
			k := 0
			for ; k < n; k++ {
				m, err := b.Recv(ctx)
				if err != nil || string(m) != fmt.Sprint(k) {
					break
				}
			}
			got <- k
		}()
		for i := range n {
			require.NoError(t, a.Send(ctx, []byte(fmt.Sprint(i))))
		}
		require.NoError(t, a.Shutdown(ctx))
		k := <-got
		require.Equal(t, n, k, "b got %d messages in order, want %d", k, n)
	})
}
