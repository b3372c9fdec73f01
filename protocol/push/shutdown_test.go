package push_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/leaktest"
	"github.com/spgo/sp/internal/sptest"
	"github.com/spgo/sp/protocol/pull"
	"github.com/spgo/sp/protocol/push"
	"github.com/stretchr/testify/require"
)

// shutdownMsg is the i-th message of a run: its number, then up to 2 KiB,
// so that batches and writes end in the middle of messages.
func shutdownMsg(i int) []byte {
	return append([]byte(fmt.Sprintf("%d:", i)), sptest.Payload(i*37%2048, byte(i))...)
}

// received is what a receiver read: the count, the bytes, and the first
// message out of order, if any.
type received struct {
	n, bytes int
	bad      string
}

// receive reads messages numbered from 0 until n came or Recv fails (a
// receive timeout: nothing more comes), and reports what it read.
func receive(ctx context.Context, s sp.Socket, n int) <-chan received {
	out := make(chan received, 1)
	go func() {
		var r received
		for r.n < n {
			b, err := s.Recv(ctx)
			if err != nil {
				break
			}
			if want := shutdownMsg(r.n); string(b) != string(want) && r.bad == "" {
				r.bad = fmt.Sprintf("message #%d: got %.12q..., want %.12q...", r.n, b, want)
			}
			r.n++
			r.bytes += len(b)
		}
		out <- r
	}()
	return out
}

// fill sends to src until every queue between it and a puller that does
// not receive is full: until Send blocks three times in a row (a slow
// writer, not full queues, may make one Send wait). It returns how many
// sends were accepted, and leaves src's SendTimeout at 50 ms.
func fill(t *testing.T, ctx context.Context, src sp.Socket) int {
	t.Helper()
	require.NoError(t, sp.SetOption(src, sp.SendTimeout, 50*time.Millisecond))
	accepted := 0
	for blocked := 0; blocked < 3; {
		// Blocked means the writer wrote nothing while Send waited: on a
		// loaded machine a Send may time out while the pipeline still
		// moves, and what fill then left queued could all fit in the
		// kernel's buffers.
		sent := src.Stats().MsgsSent
		err := src.Send(ctx, sptest.Payload(64<<10, byte(accepted)))
		if errors.Is(err, sp.ErrTimeout) {
			if src.Stats().MsgsSent == sent {
				blocked++
			} else {
				blocked = 0
			}
			continue
		}
		require.NoError(t, err)
		accepted++
		blocked = 0
		require.Less(t, accepted, 100000, "Send never blocked")
	}
	return accepted
}

// What the push socket counts sent, after Close as after Shutdown, is what
// the puller received, also when Close cuts writes short.
func TestStatsCountWhatArrived(t *testing.T) {
	const n = 2000
	for _, end := range []string{"Close", "Shutdown"} {
		t.Run(end, func(t *testing.T) {
			sptest.Wires(t, func(t *testing.T, w sptest.Wire) {
				src, sink := sptest.New(t, push.NewSocket), sptest.New(t, pull.NewSocket)
				require.NoError(t, sp.SetOption(sink, sp.RecvTimeout, time.Second))
				w.Connect(t, src, sink)
				ctx := sptest.Ctx(t)
				got := receive(ctx, sink, n)
				for i := range n {
					require.NoError(t, src.Send(ctx, shutdownMsg(i)), "Send #%d", i)
				}
				if end == "Close" {
					require.NoError(t, src.Close())
				} else {
					require.NoError(t, src.Shutdown(ctx))
				}
				r := <-got
				require.Empty(t, r.bad)
				st := src.Stats()
				require.Equal(t, uint64(r.n), st.MsgsSent, "MsgsSent: got %d, want %d (received)", st.MsgsSent, r.n)
				require.Equal(t, uint64(r.bytes), st.BytesSent, "BytesSent: got %d, want %d (received)", st.BytesSent, r.bytes)
				rs := sink.Stats()
				require.Equal(t, uint64(r.n), rs.MsgsRecv, "the puller's MsgsRecv: got %d, want %d", rs.MsgsRecv, r.n)
			})
		})
	}
}

// A puller that does not receive: Shutdown gives up when its context ends,
// closes, and says how many accepted messages it dropped, which is what
// the puller, reading at last, finds missing.
func TestShutdownBoundedByContext(t *testing.T) {
	sptest.Wires(t, func(t *testing.T, w sptest.Wire) {
		defer leaktest.Check(t)() // Shutdown leaves no goroutine behind
		src, sink := sptest.New(t, push.NewSocket), sptest.New(t, pull.NewSocket)
		defer sink.Close()
		require.NoError(t, sp.SetOption(src, sp.SendQueueLen, 4))
		require.NoError(t, sp.SetOption(sink, sp.RecvQueueLen, 1))
		w.Connect(t, src, sink)
		ctx := sptest.Ctx(t)

		accepted := fill(t, ctx, src)

		const deadline = 200 * time.Millisecond
		sctx, cancel := context.WithTimeout(ctx, deadline)
		defer cancel()
		start := time.Now()
		err := src.Shutdown(sctx)
		took := time.Since(start)
		// Slack for a loaded machine: the bound is the context's.
		require.Less(t, took, deadline+2*time.Second, "Shutdown took %v, want about %v", took, deadline)

		// The puller reads what reached it.
		require.NoError(t, sp.SetOption(sink, sp.RecvTimeout, time.Second))
		got := 0
		for {
			if _, err := sink.Recv(ctx); err != nil {
				break
			}
			got++
		}
		sent := src.Stats().MsgsSent
		require.Equal(t, uint64(got), sent, "MsgsSent: got %d, want %d (received)", sent, got)
		if w.Name == "inproc" {
			// The connection is the send queue, and delivers what it
			// holds after the close: nothing waits, nothing is lost.
			require.NoError(t, err)
			require.Equal(t, accepted, got, "received: got %d, want %d", got, accepted)
			return
		}
		require.ErrorIs(t, err, sp.ErrTimeout, "Shutdown: got %v, want ErrTimeout", err)
		var se *sp.ShutdownError
		require.ErrorAs(t, err, &se)
		require.Equal(t, accepted-got, se.Dropped, "Dropped: got %d, want %d (%d accepted, %d received)",
			se.Dropped, accepted-got, accepted, got)
		t.Logf("%d accepted, %d dropped", accepted, se.Dropped)
	})
}

// Send waiting for room when Shutdown begins gives up with ErrClosed:
// what it held was not accepted. Shutdown, with no puller to write to,
// returns at once.
func TestShutdownWakesBlockedSend(t *testing.T) {
	src := sptest.New(t, push.NewSocket)
	sptest.Listen(t, src, sptest.TCPAddr(t))
	ctx := sptest.Ctx(t)
	errs := make(chan error, 1)
	go func() { errs <- src.Send(ctx, []byte("nobody takes it")) }()
	// Send blocks (no puller); Shutdown wakes it, whenever it got there.
	require.NoError(t, src.Shutdown(ctx))
	err := <-errs
	require.ErrorIs(t, err, sp.ErrClosed, "blocked Send: got %v, want ErrClosed", err)
}

// Close while Shutdown waits makes it return, with ErrClosed.
func TestCloseDuringShutdown(t *testing.T) {
	src, sink := sptest.New(t, push.NewSocket), sptest.New(t, pull.NewSocket)
	require.NoError(t, sp.SetOption(sink, sp.RecvQueueLen, 1))
	sptest.Connect(t, src, sink, sptest.TCPAddr(t))
	ctx := sptest.Ctx(t)
	fill(t, ctx, src)
	done := make(chan error, 1)
	go func() { done <- src.Shutdown(ctx) }()
	// Once Send is refused, Shutdown has begun; it waits for the puller.
	sptest.Eventually(t, "Shutdown to begin", func() bool {
		return errors.Is(src.Send(ctx, []byte("x")), sp.ErrClosed)
	})
	require.NoError(t, src.Close())
	err := <-done
	require.ErrorIs(t, err, sp.ErrClosed, "Shutdown interrupted by Close: got %v, want ErrClosed", err)
}

// A puller lost while Shutdown drains: what was queued for it is dropped
// and counted, the dialer does not reconnect, and Shutdown returns without
// waiting for its context.
func TestShutdownPullerLost(t *testing.T) {
	sptest.Wires(t, func(t *testing.T, w sptest.Wire) {
		if w.Name == "inproc" {
			t.Skip("an inproc connection delivers what it holds: nothing waits to be dropped")
		}
		src, sink := sptest.New(t, push.NewSocket), sptest.New(t, pull.NewSocket)
		require.NoError(t, sp.SetOption(src, sp.SendQueueLen, 4))
		require.NoError(t, sp.SetOption(sink, sp.RecvQueueLen, 1))
		w.Connect(t, src, sink) // src dials: its dialer would reconnect
		ctx := sptest.Ctx(t)
		accepted := fill(t, ctx, src)
		done := make(chan error, 1)
		go func() { done <- src.Shutdown(ctx) }() // bounded by the test's 10 s
		sptest.Eventually(t, "Shutdown to begin", func() bool {
			return errors.Is(src.Send(ctx, []byte("x")), sp.ErrClosed)
		})
		require.NoError(t, sink.Close()) // the puller goes, unread data and all

		err := <-done
		var se *sp.ShutdownError
		require.ErrorAs(t, err, &se, "Shutdown: got %v, want a ShutdownError", err)
		require.NotErrorIs(t, err, sp.ErrTimeout, "Shutdown waited for its context: %v", err)
		sent := src.Stats().MsgsSent
		require.Equal(t, accepted-int(sent), se.Dropped, "Dropped: got %d, want %d (%d accepted, %d written)",
			se.Dropped, accepted-int(sent), accepted, sent)
		require.Positive(t, se.Dropped, "Dropped: got 0, want the messages queued for the lost puller")
		require.Equal(t, uint64(1), src.Stats().Connects, "connects: got %d, want 1 (no reconnection)", src.Stats().Connects)
	})
}
