package rep_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/sptest"
	"github.com/spgo/sp/protocol/rep"
	"github.com/spgo/sp/protocol/req"
	"github.com/stretchr/testify/require"
)

// Every reply a rep socket's Send accepted reaches its requester when the
// rep socket shuts down right after the last one.
func TestShutdownWritesReplies(t *testing.T) {
	const n = 200
	sptest.Wires(t, func(t *testing.T, w sptest.Wire) {
		server, client := sptest.New(t, rep.NewSocket), sptest.New(t, req.NewSocket)
		w.Connect(t, client, server)
		ctx := sptest.Ctx(t)
		ctxs := make([]sp.Context, n)
		for i := range ctxs {
			c, err := client.OpenContext()
			require.NoError(t, err)
			require.NoError(t, sp.SetOption(c, sp.RecvTimeout, 5*time.Second))
			require.NoError(t, c.Send(ctx, []byte(fmt.Sprint(i))))
			ctxs[i] = c
		}
		for range n {
			q, err := server.Recv(ctx)
			require.NoError(t, err)
			require.NoError(t, server.Send(ctx, append(q, '!')))
		}
		require.NoError(t, server.Shutdown(ctx))
		for i, c := range ctxs {
			b, err := c.Recv(ctx)
			require.NoError(t, err, "reply #%d", i)
			require.Equal(t, fmt.Sprint(i)+"!", string(b), "reply #%d: got %q, want %q", i, b, fmt.Sprint(i)+"!")
		}
		err := server.Send(ctx, []byte("late"))
		require.ErrorIs(t, err, sp.ErrClosed, "Send after Shutdown: got %v, want ErrClosed", err)
	})
}
