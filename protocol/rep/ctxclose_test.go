package rep_test

import (
	"context"
	"fmt"
	"testing"
	"testing/synctest"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/sptest"
	"github.com/spgo/sp/protocol/rep"
	"github.com/spgo/sp/protocol/req"
	"github.com/stretchr/testify/require"
)

// Closing a context wakes a Send on it that waits for room on the asker's
// pipe (a requester that stopped reading), with ErrClosed.
func TestContextCloseWakesSend(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		s := sptest.New(t, rep.NewSocket)
		require.NoError(t, sp.SetOption(s, sp.SendQueueLen, 1))
		asker := sptest.New(t, req.NewRawSocket)
		require.NoError(t, sp.SetOption(asker, sp.RecvQueueLen, 1))
		addr := sptest.InprocAddr()
		sptest.Listen(t, s, addr)
		sptest.Dial(t, asker, addr, sp.WithDialSync())
		require.NoError(t, s.WaitPeers(ctx, 1))

		// The asker sends requests and reads no reply: answer until a
		// Send has to wait.
		const n = 8
		for i := range n {
			m := sp.NewMessage(0)
			m.Header = append(m.Header, 0x80, 0, 0, byte(i+1))
			m.Body = append(m.Body, fmt.Sprint(i)...)
			require.NoError(t, asker.SendMsg(ctx, m))
		}
		var blocked chan error
		var c sp.Context
		for i := range n {
			cx, err := s.OpenContext()
			require.NoError(t, err)
			_, err = cx.Recv(ctx)
			require.NoError(t, err)
			done := make(chan error, 1)
			go func() { done <- cx.Send(ctx, []byte("reply")) }()
			synctest.Wait()
			select {
			case err := <-done:
				require.NoError(t, err, "reply %d", i)
				continue
			default:
			}
			blocked, c = done, cx
			break
		}
		require.NotNil(t, blocked, "no reply waited for room in %d", n)
		require.NoError(t, c.Close())
		synctest.Wait()
		select {
		case err := <-blocked:
			require.ErrorIs(t, err, sp.ErrClosed, "Send after its context closed: got %v, want ErrClosed", err)
		default:
			t.Fatal("Send still waits after its context closed")
		}
	})
}
