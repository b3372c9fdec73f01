package inproc

import (
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/spgo/sp"
)

// The engine finds these methods by interface (internal/core); were one
// renamed, receivers would silently stop reading inproc pipes and every
// send would go through the writer again.
var _ interface {
	SetReadDeadline(time.Time) error
	Resumable() bool
	NotifyEnd(func()) bool
	SendsEagerly() bool
	NotifyRoom(func())
	SetSendQueueLen(int)
	SendCounts() (uint64, uint64, int)
	SendNow(*sp.Message) (bool, bool, error)
	Buffered() bool
} = (*conn)(nil)

// recvResult is what a Recv in another goroutine returned.
type recvResult struct {
	m   *sp.Message
	err error
}

func recvAsync(c *conn) <-chan recvResult {
	ch := make(chan recvResult, 1)
	go func() {
		m, err := c.Recv(0)
		ch <- recvResult{m, err}
	}()
	return ch
}

// TestReadDeadline runs in a synctest bubble, on fake time: a Recv ends at
// exactly its deadline, however it was set.
func TestReadDeadline(t *testing.T) {
	tests := []struct {
		name string
		set  func(c *conn) // sets the deadline, before or during a Recv
		late bool          // set it while Recv waits
		want time.Duration // how long the Recv takes
	}{
		{"past, before Recv", func(c *conn) { c.SetReadDeadline(time.Unix(1, 0)) }, false, 0},
		{"past, during Recv", func(c *conn) { c.SetReadDeadline(time.Unix(1, 0)) }, true, 0},
		{"30ms ahead", func(c *conn) { c.SetReadDeadline(time.Now().Add(30 * time.Millisecond)) }, false, 30 * time.Millisecond},
		{"moved nearer during Recv", func(c *conn) { c.SetReadDeadline(time.Now().Add(20 * time.Millisecond)) }, true, 20 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				a, b := connPair(t)
				if tt.late {
					b.SetReadDeadline(time.Now().Add(time.Hour))
				} else {
					tt.set(b)
				}
				start := time.Now()
				ch := recvAsync(b)
				if tt.late {
					synctest.Wait() // Recv waits
					tt.set(b)
				}
				r := <-ch
				require.ErrorIs(t, r.err, os.ErrDeadlineExceeded, "got %v, want a deadline error", r.err)
				took := time.Since(start)
				require.Equal(t, tt.want, took, "Recv ended after %v, want %v", took, tt.want)

				// Nothing is lost: with the deadline cleared, what is sent
				// next arrives.
				require.NoError(t, b.SetReadDeadline(time.Time{}))
				ch = recvAsync(b)
				ok, _, err := a.SendNow(numbered(7))
				require.True(t, ok)
				require.NoError(t, err)
				r = <-ch
				require.NoError(t, r.err)
				require.Equal(t, "7", string(r.m.Body), "got %q, want %q", r.m.Body, "7")
				r.m.Free()
			})
		})
	}
}

// A message at hand is returned even past the deadline; the deadline only
// ends waiting.
func TestReadDeadlineMessageAtHand(t *testing.T) {
	a, b := connPair(t)
	for i := range 2 {
		ok, _, err := a.SendNow(numbered(i))
		require.True(t, ok)
		require.NoError(t, err)
	}
	b.SetReadDeadline(time.Unix(1, 0))
	for i := range 2 {
		m, err := b.Recv(0)
		require.NoError(t, err, "message %d", i)
		require.Equal(t, fmt.Sprint(i), string(m.Body))
		m.Free()
	}
	_, err := b.Recv(0)
	require.ErrorIs(t, err, os.ErrDeadlineExceeded)
}

func TestNotifyEnd(t *testing.T) {
	t.Run("called once when either end closes", func(t *testing.T) {
		for _, closer := range []string{"own end", "peer"} {
			t.Run(closer, func(t *testing.T) {
				a, b := connPair(t)
				var calls atomic.Int32
				require.True(t, b.NotifyEnd(func() { calls.Add(1) }))
				if closer == "peer" {
					a.Close()
				} else {
					b.Close()
				}
				a.Close()
				b.Close()
				require.Equal(t, int32(1), calls.Load(), "got %d calls, want 1", calls.Load())
			})
		}
	})
	t.Run("removed with nil", func(t *testing.T) {
		a, b := connPair(t)
		called := false
		require.True(t, b.NotifyEnd(func() { called = true }))
		require.True(t, b.NotifyEnd(nil))
		a.Close()
		require.False(t, called, "got a call after NotifyEnd(nil), want none")
	})
	t.Run("refused once ended", func(t *testing.T) {
		a, b := connPair(t)
		a.Close()
		require.False(t, b.NotifyEnd(func() { t.Error("called for a connection that had ended") }))
		require.True(t, b.NotifyEnd(nil), "removing is always possible")
	})
	t.Run("each end its own", func(t *testing.T) {
		a, b := connPair(t)
		var ends [2]atomic.Int32
		require.True(t, a.NotifyEnd(func() { ends[0].Add(1) }))
		require.True(t, b.NotifyEnd(func() { ends[1].Add(1) }))
		b.Close()
		require.Equal(t, [2]int32{1, 1}, [2]int32{ends[0].Load(), ends[1].Load()})
	})
}

// SendNow stops at the limit SetSendQueueLen set and calls what NotifyRoom
// registered once the receiver takes messages.
func TestSendQueueLenAndRoom(t *testing.T) {
	a, b := connPair(t)
	a.SetSendQueueLen(3)
	room := make(chan struct{}, 1)
	a.NotifyRoom(func() {
		select {
		case room <- struct{}{}:
		default:
		}
	})
	for i := range 3 {
		ok, _, err := a.SendNow(numbered(i))
		require.NoError(t, err)
		require.True(t, ok, "message %d: got refused, want taken below the limit", i)
	}
	m := numbered(3)
	ok, _, err := a.SendNow(m)
	require.NoError(t, err)
	require.False(t, ok, "got taken at the limit, want refused")
	select {
	case <-room:
		t.Fatal("got a room call with the lane full, want none")
	default:
	}
	got, err := b.Recv(0)
	require.NoError(t, err)
	require.Equal(t, "0", string(got.Body))
	got.Free()
	select {
	case <-room:
	case <-time.After(5 * time.Second):
		t.Fatal("no room call after the receiver took the lane")
	}
	ok, _, err = a.SendNow(m)
	require.NoError(t, err)
	require.True(t, ok, "got refused after room came, want taken")
	for i := 1; i <= 3; i++ {
		got, err := b.Recv(0)
		require.NoError(t, err)
		require.Equal(t, fmt.Sprint(i), string(got.Body))
		got.Free()
	}
}

// Several goroutines may call SendNow at once: nothing is lost or
// duplicated, each sender's messages stay in order, and the lane never
// holds more than its limit.
func TestSendNowConcurrent(t *testing.T) {
	const senders, each, limit = 4, 2000, 8
	a, b := connPair(t)
	a.SetSendQueueLen(limit)
	room := make(chan struct{}, 1)
	a.NotifyRoom(func() {
		select {
		case room <- struct{}{}:
		default:
		}
	})
	var wg sync.WaitGroup
	errs := make(chan error, senders)
	for s := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; {
				m := sp.NewMessage(16)
				m.Body = fmt.Appendf(m.Body, "%d/%d", s, i)
				ok, _, err := a.SendNow(m)
				if err != nil {
					errs <- err
					return
				}
				if !ok {
					m.Free()
					select {
					case <-room:
					case <-time.After(10 * time.Millisecond): // another sender took the token
					}
					continue
				}
				i++
			}
		}()
	}
	next := make([]int, senders)
	for range senders * each {
		if _, _, n := a.SendCounts(); n > limit {
			t.Fatalf("the lane holds %d messages, want at most %d", n, limit)
		}
		m, err := b.Recv(0)
		require.NoError(t, err)
		var s, i int
		_, err = fmt.Sscanf(string(m.Body), "%d/%d", &s, &i)
		require.NoError(t, err)
		require.Equal(t, next[s], i, "sender %d: got message %d, want %d", s, i, next[s])
		next[s]++
		m.Free()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
}

// Close wakes a Recv waiting on an empty lane and a Flush waiting for room.
func TestCloseWakesWaiters(t *testing.T) {
	a, b := connPair(t)
	a.SetSendQueueLen(1)
	ok, _, err := a.SendNow(numbered(0))
	require.True(t, ok)
	require.NoError(t, err)
	flushed := make(chan error, 1)
	go func() {
		if err := a.Send(numbered(1)); err != nil {
			flushed <- err
			return
		}
		flushed <- a.Flush() // waits: the lane holds its one message
	}()
	ch := recvAsync(a) // waits: b sends nothing
	time.Sleep(10 * time.Millisecond)
	select {
	case err := <-flushed:
		t.Fatalf("Flush returned %v with the lane full, want it to wait", err)
	default:
	}
	b.Close()
	select {
	case err := <-flushed:
		require.ErrorIs(t, err, sp.ErrClosed)
	case <-time.After(5 * time.Second):
		t.Fatal("Flush still waits after Close")
	}
	select {
	case r := <-ch:
		require.ErrorIs(t, r.err, sp.ErrClosed)
	case <-time.After(5 * time.Second):
		t.Fatal("Recv still waits after Close")
	}
}

// Close stops a pending read deadline's timer at both ends.
func TestCloseStopsDeadlineTimers(t *testing.T) {
	a, b := connPair(t)
	a.SetReadDeadline(time.Now().Add(time.Hour))
	b.SetReadDeadline(time.Now().Add(time.Hour))
	b.Close()
	for i, c := range []*conn{a, b} {
		c.rd.mu.Lock()
		stopped := !c.rd.timer.Stop()
		c.rd.mu.Unlock()
		require.True(t, stopped, "end %d: got a timer still running after Close, want it stopped", i)
	}
}
