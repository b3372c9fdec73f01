package pub_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"testing/synctest"
	"time"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/sptest"
	"github.com/spgo/sp/protocol/pub"
	"github.com/spgo/sp/protocol/sub"
	"github.com/stretchr/testify/require"
)

// A publisher that waits for its subscribers before it publishes loses
// nothing to the slow joiner: each subscriber, dialing in the background
// (no DialSync), gets every message.
func TestWaitPeersSlowJoiner(t *testing.T) {
	const subs, msgs = 3, 6
	sptest.Transports(t, func(t *testing.T, tr sptest.Transport) {
		p := sptest.New(t, pub.NewSocket)
		addr := sptest.Listen(t, p, tr.Addr(t))
		ss := make([]sp.Socket, subs)
		for i := range ss {
			ss[i] = sptest.New(t, sub.NewSocket)
			subscribe(t, ss[i], "")
			require.NoError(t, ss[i].Dial(addr)) // in the background
		}
		ctx := sptest.Ctx(t)
		require.NoError(t, p.WaitPeers(ctx, subs))
		require.GreaterOrEqual(t, p.Stats().Pipes, subs, "pipes after WaitPeers: got %d, want %d", p.Stats().Pipes, subs)
		for i := range msgs {
			require.NoError(t, p.Send(ctx, []byte(fmt.Sprint(i))))
		}
		for i, s := range ss {
			require.NoError(t, sp.SetOption(s, sp.RecvTimeout, 5*time.Second))
			for j := range msgs {
				b, err := s.Recv(ctx)
				require.NoError(t, err, "subscriber %d, message %d", i, j)
				require.Equal(t, fmt.Sprint(j), string(b), "subscriber %d: got %q, want %q", i, b, fmt.Sprint(j))
			}
		}
	})
}

// WaitPeers returns when enough pipes joined, ErrClosed when the socket
// closes, and the context's error when it ends.
func TestWaitPeers(t *testing.T) {
	t.Run("joined", func(t *testing.T) {
		p := sptest.New(t, pub.NewSocket)
		addr := sptest.Listen(t, p, sptest.InprocAddr())
		ctx := sptest.Ctx(t)
		require.NoError(t, p.WaitPeers(ctx, 0), "WaitPeers(0) with no pipe")
		done := make(chan error, 1)
		go func() { done <- p.WaitPeers(ctx, 2) }()
		s1 := sptest.New(t, sub.NewSocket)
		sptest.Dial(t, s1, addr)
		select {
		case err := <-done:
			t.Fatalf("WaitPeers(2) returned %v with one pipe", err)
		default:
		}
		s2 := sptest.New(t, sub.NewSocket)
		sptest.Dial(t, s2, addr)
		require.NoError(t, <-done)
		require.NoError(t, s2.WaitPeers(ctx, 1), "the subscriber's own pipe")
	})
	t.Run("closed", func(t *testing.T) {
		p := sptest.New(t, pub.NewSocket)
		done := make(chan error, 1)
		go func() { done <- p.WaitPeers(sptest.Ctx(t), 1) }()
		require.NoError(t, p.Close())
		err := <-done
		require.ErrorIs(t, err, sp.ErrClosed, "WaitPeers across Close: got %v, want ErrClosed", err)
		err = p.WaitPeers(sptest.Ctx(t), 1)
		require.ErrorIs(t, err, sp.ErrClosed, "WaitPeers after Close: got %v, want ErrClosed", err)
	})
	t.Run("canceled", func(t *testing.T) {
		p := sptest.New(t, pub.NewSocket)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- p.WaitPeers(ctx, 1) }()
		cancel()
		err := <-done
		require.ErrorIs(t, err, context.Canceled, "WaitPeers canceled: got %v, want context.Canceled", err)
	})
	t.Run("deadline", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			p, err := pub.NewSocket()
			require.NoError(t, err)
			defer p.Close()
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			start := time.Now()
			err = p.WaitPeers(ctx, 1)
			require.ErrorIs(t, err, sp.ErrTimeout, "WaitPeers past its deadline: got %v, want ErrTimeout", err)
			require.Equal(t, time.Minute, time.Since(start), "WaitPeers returned after %v, want 1m", time.Since(start))
			var ne interface{ Timeout() bool }
			require.True(t, errors.As(err, &ne) && ne.Timeout())
		})
	})
}
