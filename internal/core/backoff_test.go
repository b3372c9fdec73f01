package core_test

import (
	"fmt"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/core"
	"github.com/spgo/sp/protocol/pull"
	"github.com/spgo/sp/protocol/push"
	"github.com/stretchr/testify/require"
)

// The tests in this file run in a synctest bubble over inproc, on fake
// time: a dialer's waits are exactly what its timer says, so each
// reconnect can be checked against the backoff schedule (ReconnectMin
// doubling up to ReconnectMax, each wait jittered to [w/2, w]).

const (
	backoffMin = 100 * time.Millisecond
	backoffMax = 10 * time.Second
)

// flapping is a listener whose hook closes every pipe it accepts at once
// while kill is set, as a peer does that rejects what we send; it records
// when each pipe joined, and signals each join on joins.
type flapping struct {
	mu     sync.Mutex
	kill   bool
	joined []time.Time
	last   sp.Pipe
	joins  chan struct{}
}

func newFlapping() *flapping { return &flapping{kill: true, joins: make(chan struct{}, 1000)} }

func (f *flapping) hook(ev sp.PipeEvent, p sp.Pipe) bool {
	if ev != sp.PipeAdded {
		return true
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.joined = append(f.joined, time.Now())
	f.joins <- struct{}{}
	f.last = p
	if f.kill {
		p.Close()
	}
	return true
}

func (f *flapping) times() []time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Time(nil), f.joined...)
}

// flappingPair returns a pull socket whose listener flaps, and a push
// socket dialing it with ReconnectMin 100 ms and ReconnectMax 10 s.
func flappingPair(t *testing.T, f *flapping) (rx, tx sp.Socket) {
	rx, err := pull.NewSocket()
	require.NoError(t, err)
	rx.SetPipeHook(f.hook)
	url := "inproc://" + t.Name()
	_, err = rx.Listen(url)
	require.NoError(t, err)
	tx, err = push.NewSocket()
	require.NoError(t, err)
	require.NoError(t, tx.Dial(url, sp.With(sp.ReconnectMin, backoffMin),
		sp.With(sp.ReconnectMax, backoffMax)))
	return rx, tx
}

// requireBackoff checks that each gap between joins is the backoff wait
// that follows a short-lived pipe: the k-th wait w (from wait on) is
// jittered to [w/2, w], and w doubles up to backoffMax.
func requireBackoff(t *testing.T, joined []time.Time, wait time.Duration) {
	t.Helper()
	for k := 1; k < len(joined); k++ {
		gap := joined[k].Sub(joined[k-1])
		require.True(t, gap >= wait/2 && gap <= wait, "reconnect %d came %v after the pipe before it died, want within [%v, %v]", k, gap, wait/2, wait)
		wait = min(2*wait, backoffMax)
	}
}

// TestBackoffShortLivedPipes checks that a dialer whose pipe dies right
// after it connects backs off as after a failed attempt, rather than
// reconnecting every ReconnectMin: each wait doubles (100, 200, 400 ms...
// up to ReconnectMax, each jittered down to half at most), so in d of
// fake time a handful of connects, not one every ReconnectMin.
func TestBackoffShortLivedPipes(t *testing.T) {
	for _, d := range []time.Duration{3 * time.Second, time.Minute} {
		t.Run(fmt.Sprint(d), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := newFlapping()
				rx, tx := flappingPair(t, f)
				start := time.Now()
				time.Sleep(d)
				synctest.Wait()
				joined := f.times()
				require.NoError(t, tx.Close())
				require.NoError(t, rx.Close())
				require.NotEmpty(t, joined, "no connect in %v", d)
				require.Equal(t, start, joined[0], "the first connect came %v after Dial, want at once", joined[0].Sub(start))
				requireBackoff(t, joined, backoffMin)
				// The next wait, not yet over, would end past d.
				next := backoffMin << (len(joined) - 1)
				next = min(next, backoffMax)
				last := joined[len(joined)-1].Sub(start)
				require.Greater(t, last+next, d, "got %d connects in %v, the last at %v: the next was due by %v", len(joined), d, last, last+next)
				t.Logf("%d connects in %v (one every ReconnectMin would be %d)", len(joined), d, d/backoffMin)
			})
		})
	}
}

// TestBackoffResetsAfterStablePipe checks that a pipe that lived at least
// core.StableAfter resets the backoff: after short-lived pipes grew it to
// seconds, the loss of a stable pipe is followed by a reconnect within
// ReconnectMin (jittered, so in [ReconnectMin/2, ReconnectMin]); the loss
// of a pipe that lived just under StableAfter is not.
func TestBackoffResetsAfterStablePipe(t *testing.T) {
	tests := []struct {
		name  string
		lived time.Duration
		reset bool // the wait before the reconnect is ReconnectMin's
	}{
		{"stable", core.StableAfter, true},
		{"short of stable", core.StableAfter - time.Millisecond, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := newFlapping()
				rx, tx := flappingPair(t, f)
				time.Sleep(2 * time.Second) // the backoff grows
				f.mu.Lock()
				f.kill = false
				n := len(f.joined)
				f.mu.Unlock()
				for range n {
					<-f.joins
				}
				<-f.joins // the next pipe stays
				time.Sleep(tt.lived)
				f.mu.Lock()
				lost, stayed := time.Now(), f.last
				f.mu.Unlock()
				require.NoError(t, stayed.Close())
				<-f.joins
				joined := f.times()
				require.NoError(t, tx.Close())
				require.NoError(t, rx.Close())
				requireBackoff(t, joined[:n+1], backoffMin)
				wait := backoffMin // reset
				if !tt.reset {
					wait = min(backoffMin<<n, backoffMax) // after n+1 short-lived pipes
				}
				gap := joined[n+1].Sub(lost)
				require.True(t, gap >= wait/2 && gap <= wait, "got a reconnect %v after a pipe that lived %v was lost, want within [%v, %v]", gap, tt.lived, wait/2, wait)
			})
		})
	}
}
