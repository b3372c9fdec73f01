package req_test

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/sptest"
	"github.com/spgo/sp/protocol/req"
	"github.com/stretchr/testify/require"
)

// Closing a context wakes a Send on it that waits for a peer, with
// ErrClosed; the socket, and its other contexts, go on.
func TestContextCloseWakesSend(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := sptest.New(t, req.NewSocket)
		c, err := s.OpenContext()
		require.NoError(t, err)
		done := make(chan error, 1)
		go func() { done <- c.Send(context.Background(), []byte("x")) }()
		synctest.Wait() // Send waits for a peer
		select {
		case err := <-done:
			t.Fatalf("Send with no peer returned %v before the context closed", err)
		default:
		}
		require.NoError(t, c.Close())
		synctest.Wait()
		select {
		case err := <-done:
			require.ErrorIs(t, err, sp.ErrClosed, "Send after its context closed: got %v, want ErrClosed", err)
		default:
			t.Fatal("Send still waits after its context closed")
		}

		other, err := s.OpenContext()
		require.NoError(t, err)
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		err = other.Send(ctx, []byte("y"))
		require.ErrorIs(t, err, context.DeadlineExceeded, "another context's Send with no peer: got %v, want its deadline", err)
	})
}
