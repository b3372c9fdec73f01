package sp_test

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/spgo/sp"
	"github.com/spgo/sp/protocol/bus"
	"github.com/spgo/sp/protocol/pair"
	"github.com/spgo/sp/protocol/pair1"
	"github.com/spgo/sp/protocol/pull"
	"github.com/spgo/sp/protocol/push"
	"github.com/spgo/sp/protocol/star"
	"github.com/spgo/sp/protocol/sub"
	"github.com/stretchr/testify/require"
)

// requireTimeout checks that err is a timeout with the message want.
func requireTimeout(t *testing.T, err error, want string) {
	t.Helper()
	require.ErrorIs(t, err, sp.ErrTimeout, "got %v, want an error wrapping ErrTimeout", err)
	require.ErrorIs(t, err, context.DeadlineExceeded, "got %v, want it to match context.DeadlineExceeded too", err)
	var te interface{ Timeout() bool }
	require.True(t, errors.As(err, &te) && te.Timeout(), "got Timeout() false for %v, want true", err)
	require.Equal(t, want, err.Error(), "got %q, want %q", err, want)
}

// TestTimeoutSaysNoPeer checks that a send or receive that times out on a
// socket with no peer says so, by the socket's timeout or by ctx's
// deadline.
func TestTimeoutSaysNoPeer(t *testing.T) {
	const (
		sendMsg = "sp: send: timed out: no peer connected"
		recvMsg = "sp: recv: timed out: no peer connected"
	)
	send := func(s sp.Socket, ctx context.Context) error { return s.Send(ctx, []byte("x")) }
	recv := func(s sp.Socket, ctx context.Context) error { _, err := s.Recv(ctx); return err }
	recvMsgOp := func(s sp.Socket, ctx context.Context) error { _, err := s.RecvMsg(ctx); return err }
	tests := []struct {
		name   string
		socket func() (sp.Socket, error)
		op     func(sp.Socket, context.Context) error
		opt    sp.Option[time.Duration] // the socket's timeout to set
		want   string
	}{
		{"push send", push.NewSocket, send, sp.SendTimeout, sendMsg},
		{"pair send", pair.NewSocket, send, sp.SendTimeout, sendMsg},
		{"pair1 send", pair1.NewSocket, send, sp.SendTimeout, sendMsg},
		{"pull recv", pull.NewSocket, recv, sp.RecvTimeout, recvMsg},
		{"pull RecvMsg", pull.NewSocket, recvMsgOp, sp.RecvTimeout, recvMsg},
		{"pair recv", pair.NewSocket, recv, sp.RecvTimeout, recvMsg},
		{"pair1 recv", pair1.NewSocket, recv, sp.RecvTimeout, recvMsg},
		{"bus recv", bus.NewSocket, recv, sp.RecvTimeout, recvMsg},
		{"star recv", star.NewSocket, recv, sp.RecvTimeout, recvMsg},
		{"sub recv", sub.NewSocket, recv, sp.RecvTimeout, recvMsg},
	}
	// On fake time, in a synctest bubble: each times out at exactly 20 ms.
	const wait = 20 * time.Millisecond
	for _, tt := range tests {
		t.Run(tt.name+" socket timeout", func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				s := mustSocket(t, tt.socket)
				require.NoError(t, sp.SetOption(s, tt.opt, wait))
				start := time.Now()
				requireTimeout(t, tt.op(s, t.Context()), tt.want)
				require.Equal(t, wait, time.Since(start), "timed out after %v, want %v", time.Since(start), wait)
			})
		})
		t.Run(tt.name+" ctx deadline", func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				s := mustSocket(t, tt.socket)
				start := time.Now()
				ctx, cancel := context.WithTimeout(t.Context(), wait)
				defer cancel()
				requireTimeout(t, tt.op(s, ctx), tt.want)
				require.Equal(t, wait, time.Since(start), "timed out after %v, want %v", time.Since(start), wait)
			})
		})
	}
}

// TestTimeoutWithPeer checks that a receive that times out with a peer
// connected does not claim there is none.
func TestTimeoutWithPeer(t *testing.T) {
	const wait = 20 * time.Millisecond
	// exact: on fake time the timeout is exactly wait.
	body := func(t *testing.T, url string, exact bool) {
		rx := mustSocket(t, pull.NewSocket)
		_, err := rx.Listen(url)
		require.NoError(t, err)
		tx := mustSocket(t, push.NewSocket)
		require.NoError(t, tx.DialContext(t.Context(), url))
		eventually(t, "the listener has its pipe", func() bool { return rx.Stats().Pipes == 1 })
		require.NoError(t, sp.SetOption(rx, sp.RecvTimeout, wait))
		start := time.Now()
		_, err = rx.Recv(t.Context())
		requireTimeout(t, err, "sp: timed out")
		took := time.Since(start)
		require.GreaterOrEqual(t, took, wait, "timed out after %v, want %v", took, wait)
		if exact {
			require.Equal(t, wait, took, "timed out after %v, want %v", took, wait)
		}
	}
	// inproc in a synctest bubble, on fake time: at exactly 20 ms.
	t.Run("inproc", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) { body(t, "inproc://"+t.Name(), true) })
	})
	// tcp's sockets are real I/O, which a bubble cannot wait for.
	t.Run("tcp", func(t *testing.T) { body(t, tcpURL(t), false) })
}
