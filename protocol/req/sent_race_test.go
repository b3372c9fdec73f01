package req

import (
	"context"
	"testing"
	"time"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/core"
	"github.com/spgo/sp/internal/sptest"
	"github.com/spgo/sp/protocol/rep"
	"github.com/stretchr/testify/require"
)

// A request whose pipe closes after Send handed it over, but before Send
// recorded where it went, is sent again on the next pipe at once, not when
// the resend timer fires (here never: ResendTime is 0).
func TestSendPipeClosedBeforeRecorded(t *testing.T) {
	sptest.Transports(t, func(t *testing.T, tr sptest.Transport) {
		q, a := sptest.New(t, NewSocket), sptest.New(t, rep.NewSocket)
		require.NoError(t, sp.SetOption(q, ResendTime, 0))
		pipes := sptest.CountPipes(q, nil)
		sptest.Connect(t, q, a, tr.Addr(t))
		pipes.WaitLive(t, 1)
		go func() {
			for {
				m, err := a.Recv(context.Background())
				if err != nil {
					return
				}
				if a.Send(context.Background(), append([]byte("re: "), m...)) != nil {
					return
				}
			}
		}()

		closed := 0
		testHookSent = func(p *core.Pipe) {
			if closed > 0 {
				return
			}
			closed++
			require.NoError(t, p.Close())
			// RemovePipe has run once the pipe hook has heard of it.
			pipes.Wait(t, "the pipe's removal", func(live, added int) bool { return added-live >= 1 })
		}
		t.Cleanup(func() { testHookSent = nil })

		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		require.NoError(t, q.Send(ctx, []byte("hello")))
		got, err := q.Recv(ctx)
		require.NoError(t, err, "Recv: the request was not sent again")
		require.Equal(t, "re: hello", string(got), "got %q, want %q", got, "re: hello")
		require.Equal(t, 1, closed, "got %d pipes closed by the hook, want 1", closed)
	})
}
