package req_test

import (
	"context"
	"fmt"
	"testing"
	"testing/synctest"
	"time"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/sptest"
	"github.com/spgo/sp/protocol/rep"
	"github.com/spgo/sp/protocol/req"
	"github.com/stretchr/testify/require"
)

// The tests in this file are driven by req's resend timer and the dialer's
// backoff. They run in a synctest bubble over inproc, on fake time: a timer
// fires at exactly its time, and waiting an hour costs nothing. The timers
// are the protocol's and the dialer's, not the transport's, so inproc is
// enough; the other transports are covered by the tests that need no timer.
// sptest.Ctx's deadline is fake time too: tests that wait longer than
// sptest.Timeout use t.Context().

// A request that gets no answer is sent again every ResendTime: the rep
// sees copy k at exactly k*ResendTime after Send, and after wait of fake
// time exactly wait/ResendTime resends have happened.
func TestReqResendAfterResendTime(t *testing.T) {
	tests := []struct {
		resend, wait time.Duration
		want         uint64 // resends after wait
	}{
		{100 * time.Millisecond, 50 * time.Millisecond, 0},
		{100 * time.Millisecond, 350 * time.Millisecond, 3},
		{time.Minute, 10*time.Minute + time.Second, 10},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%v-after-%v", tt.resend, tt.wait), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				q, a := sptest.New(t, req.NewSocket), sptest.New(t, rep.NewSocket)
				require.NoError(t, sp.SetOption(q, req.ResendTime, tt.resend))
				sptest.Connect(t, q, a, sptest.InprocAddr())
				ctx := t.Context()
				ac := repContext(t, a) // the socket itself would refuse to leave one unanswered
				start := time.Now()
				require.NoError(t, q.Send(ctx, []byte("anyone?")))
				for k := range tt.want + 1 {
					b, err := ac.Recv(ctx) // ignored each: here it is again
					require.NoError(t, err)
					require.Equal(t, "anyone?", string(b), "copy %d", k)
					took, want := time.Since(start), time.Duration(k)*tt.resend
					require.Equal(t, want, took, "copy %d: got it after %v, want %v", k, took, want)
				}
				time.Sleep(tt.wait - time.Since(start))
				synctest.Wait()
				got := q.Stats().Counters["resends"]
				require.Equal(t, tt.want, got, "resends after %v: got %d, want %d", tt.wait, got, tt.want)

				require.NoError(t, ac.Send(ctx, []byte("yes")))
				b, err := q.Recv(ctx)
				require.NoError(t, err)
				require.Equal(t, "yes", string(b))
				time.Sleep(10 * tt.resend) // answered: no more copies
				synctest.Wait()
				got = q.Stats().Counters["resends"]
				require.Equal(t, tt.want, got, "resends after the reply: got %d, want %d", got, tt.want)
			})
		})
	}
}

// A request whose Recv gave up is canceled: it is not sent again, so a rep
// that never answers sees it once plus the resends before the cancel,
// however long the resend time runs afterwards.
func TestCanceledRecvStopsResends(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const resend, deadline = 20 * time.Millisecond, 70 * time.Millisecond
		q, a := sptest.Pair(t, sptest.All[0], req.NewSocket, rep.NewSocket)
		require.NoError(t, sp.SetOption(q, req.ResendTime, resend))
		ctx := t.Context()
		start := time.Now()
		require.NoError(t, q.Send(ctx, []byte("anyone?")))
		short, cancel := context.WithTimeout(ctx, deadline)
		defer cancel()
		_, err := q.Recv(short)
		require.ErrorIs(t, err, sp.ErrTimeout)
		require.Equal(t, deadline, time.Since(start), "Recv gave up after %v, want %v", time.Since(start), deadline)
		const want = uint64(deadline / resend) // at 20, 40 and 60 ms
		resent := q.Stats().Counters["resends"]
		require.Equal(t, want, resent, "resends while Recv waited: got %d, want %d", resent, want)

		time.Sleep(time.Hour)
		synctest.Wait()
		got := q.Stats().Counters["resends"]
		require.Equal(t, resent, got, "resends an hour after Recv gave up: got %d, want %d", got, resent)
		ac := repContext(t, a)
		for k := range resent + 1 { // the first copy and every resend before the cancel
			_, err := ac.Recv(ctx)
			require.NoError(t, err, "copy %d", k)
		}
		require.NoError(t, sp.SetOption(ac, sp.RecvTimeout, time.Hour))
		b, err := ac.Recv(ctx)
		require.ErrorIs(t, err, sp.ErrTimeout, "got %q after the cancel, want no more copies", b)
	})
}

// A request sent before any rep is there goes out exactly once when one
// connects (ResendTime is off, so a second copy would be a duplicate).
func TestReqSendBeforePeerDeliversOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		q, a := sptest.New(t, req.NewSocket), sptest.New(t, rep.NewSocket)
		require.NoError(t, sp.SetOption(q, req.ResendTime, 0))
		ctx := t.Context()
		sent := make(chan error, 1)
		go func() { sent <- q.Send(ctx, []byte("early")) }()
		synctest.Wait() // Send waits for a peer
		addr := sptest.Listen(t, a, sptest.InprocAddr())
		require.NoError(t, q.Dial(addr, sp.With(sp.ReconnectMin, 5*time.Millisecond)))
		require.NoError(t, <-sent)
		ac := repContext(t, a)
		b, err := ac.Recv(ctx)
		require.NoError(t, err)
		require.Equal(t, "early", string(b))
		require.NoError(t, sp.SetOption(ac, sp.RecvTimeout, time.Hour))
		start := time.Now()
		b, err = ac.Recv(ctx)
		require.ErrorIs(t, err, sp.ErrTimeout, "the rep got the request twice: second copy %q", b)
		require.Equal(t, time.Hour, time.Since(start), "Recv timed out after %v, want 1h", time.Since(start))
	})
}

// A request that its rep refuses (over its sp.RecvMaxSize, so the rep
// closes the connection at once) is not resent in a tight loop: the
// dialer backs off, as the pipes it makes live no time at all, so the
// connections follow the backoff schedule (ReconnectMin doubling, each
// wait jittered down to half at most). Recv gives up with an error that
// says the connection was lost, and after that the request is not sent
// again. Five seconds, as the report that found it (which saw 39
// connections over tcp and 26 over ipc).
func TestPoisonRequest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const recvFor, total = 3 * time.Second, 5 * time.Second
		a := sptest.New(t, rep.NewSocket)
		require.NoError(t, sp.SetOption(a, sp.RecvMaxSize, 1024))
		pipes := sptest.CountPipes(a, nil)
		addr := sptest.Listen(t, a, sptest.InprocAddr())
		q := sptest.New(t, req.NewSocket)
		require.NoError(t, q.Dial(addr, sp.WithDialSync())) // the default backoff, as a user has it
		pipes.WaitLive(t, 1)
		start := time.Now()
		ctx, cancel := context.WithTimeout(sptest.Ctx(t), recvFor)
		defer cancel()
		require.NoError(t, q.Send(ctx, make([]byte, 4096)))
		_, err := q.Recv(ctx)
		require.ErrorIs(t, err, sp.ErrTimeout)
		require.Contains(t, err.Error(), "lost", "got %v, want it to say the connection was lost", err)
		require.Equal(t, recvFor, time.Since(start), "Recv gave up after %v, want %v", time.Since(start), recvFor)
		atRecv, resends := pipes.Added(), q.Stats().Counters["resends"]
		time.Sleep(total - recvFor) // the request must not be sent again
		synctest.Wait()
		got := pipes.Added()
		t.Logf("%d connections while Recv waited (%v), %d in all (%v), %d resends; Recv said: %v",
			atRecv, recvFor, got, total, resends, err)
		lo, hi := backoffConnects(100*time.Millisecond, 10*time.Second, total)
		require.GreaterOrEqual(t, got, lo, "got %d connections in %v, want at least %d (backoff at its longest)", got, total, lo)
		require.LessOrEqual(t, got, hi, "got %d connections in %v, want at most %d (backoff at its shortest)", got, total, hi)
		require.Equal(t, resends, q.Stats().Counters["resends"], "resent after Recv gave up")
	})
}

// backoffConnects returns the fewest and the most connections a dialer
// makes in d (counting the first, at 0) when each of its pipes dies at
// once: the waits double from first up to limit, each jittered to
// [w/2, w].
func backoffConnects(first, limit, d time.Duration) (lo, hi int) {
	count := func(half bool) int {
		n, at := 1, time.Duration(0)
		for w := first; ; w = min(2*w, limit) {
			step := w
			if half {
				step = w / 2
			}
			if at += step; at > d {
				return n
			}
			n++
		}
	}
	return count(false), count(true)
}
