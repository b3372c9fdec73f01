package req

import (
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/core"
	"github.com/spgo/sp/internal/sptest"
	"github.com/spgo/sp/protocol/rep"
	"github.com/stretchr/testify/require"
)

// A resend timer's run that has begun, but waits for the lock while its
// request is answered and the next one sent, is stale: it must neither send
// the new request again (that request's own timer does, ResendTime after it
// was sent) nor swallow that timer's run. On fake time, the timer's run is
// held (testHookFire) once it has begun, while the test does what a reply
// and the next Send do under the lock.
func TestResendTimerStaleRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const resend = 100 * time.Millisecond
		// The first timer run begins at resend and waits (here, in the
		// hook) while the test does under the lock what a reply and the
		// next Send do; then it takes the lock. The hook is set before any
		// timer exists, and unset after the sockets' cleanups.
		fired, proceed := make(chan struct{}), make(chan struct{})
		var once sync.Once
		testHookFire = func() {
			once.Do(func() {
				close(fired)
				<-proceed
			})
		}
		t.Cleanup(func() { testHookFire = nil })
		q, a := sptest.New(t, NewSocket), sptest.New(t, rep.NewSocket)
		require.NoError(t, sp.SetOption(q, ResendTime, resend))
		sptest.Connect(t, q, a, sptest.InprocAddr())
		ac, err := a.OpenContext() // the socket would refuse a second request unanswered
		require.NoError(t, err)
		defer ac.Close()
		ctx := t.Context()
		r := q.(*core.Socket).Protocol().(*req)
		c := r.def
		recvAt := func(want string, at time.Duration, start time.Time) {
			t.Helper()
			b, err := ac.Recv(ctx)
			require.NoError(t, err)
			require.Equal(t, want, string(b))
			took := time.Since(start)
			require.Equal(t, at, took, "%q: got it after %v, want %v", want, took, at)
		}

		start := time.Now()
		require.NoError(t, q.Send(ctx, []byte("first")))
		recvAt("first", 0, start)

		time.Sleep(resend)
		<-fired
		r.mu.Lock()
		c.finish() // what the reply to "first" does
		stale := c.stale
		m := sp.NewMessage(0)
		m.Body = append(m.Body, "second"...)
		c.begin(m) // what Send("second") does
		c.dispatch()
		r.mu.Unlock() // (before any assertion: a test that stops holding it would hang)
		close(proceed)
		require.Equal(t, 1, stale, "stale runs: got %d, want 1 (the run had begun)", stale)
		synctest.Wait() // the stale run has taken the lock and returned

		r.mu.Lock()
		stale = c.stale
		r.mu.Unlock()
		require.Equal(t, 0, stale, "stale runs left: got %d, want 0", stale)
		require.Equal(t, uint64(0), r.resends.Load(), "resends: got %d, want 0", r.resends.Load())
		recvAt("second", resend, start)
		// Its first resend comes from its own timer, ResendTime after it
		// was sent, not from the stale run.
		recvAt("second", 2*resend, start)
		require.Equal(t, uint64(1), r.resends.Load(), "resends: got %d, want 1", r.resends.Load())

		require.NoError(t, ac.Send(ctx, []byte("yes")))
		b, err := q.Recv(ctx)
		require.NoError(t, err)
		require.Equal(t, "yes", string(b))
	})
}
