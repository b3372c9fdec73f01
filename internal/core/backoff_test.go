package core_test

import (
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

// flapping is a listener whose hook closes every pipe it accepts at once
// while kill is set, as a peer does that rejects what we send; it records
// when each pipe joined.
type flapping struct {
	mu     sync.Mutex
	kill   bool
	joined []time.Time
	last   sp.Pipe
}

func (f *flapping) hook(ev sp.PipeEvent, p sp.Pipe) bool {
	if ev != sp.PipeAdded {
		return true
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.joined = append(f.joined, time.Now())
	f.last = p
	if f.kill {
		p.Close()
	}
	return true
}

func (f *flapping) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.joined)
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
	require.NoError(t, tx.Dial(url, sp.With(sp.ReconnectMin, 100*time.Millisecond),
		sp.With(sp.ReconnectMax, 10*time.Second)))
	return rx, tx
}

// TestBackoffShortLivedPipes checks that a dialer whose pipe dies right
// after it connects backs off as after a failed attempt, rather than
// reconnecting every ReconnectMin: in 3 s with ReconnectMin 100 ms the
// waits double (100, 200, 400, 800, 1600 ms, each jittered down to half at
// most), so a handful of connects, not the ~40 of a backoff that resets
// at every connect.
func TestBackoffShortLivedPipes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &flapping{kill: true}
		rx, tx := flappingPair(t, f)
		time.Sleep(3 * time.Second)
		synctest.Wait()
		n := f.count()
		require.NoError(t, tx.Close())
		require.NoError(t, rx.Close())
		require.GreaterOrEqual(t, n, 3, "got %d connects in 3 s, want at least 3", n)
		require.LessOrEqual(t, n, 8, "got %d connects in 3 s, want at most 8 (backoff doubling)", n)
	})
}

// TestBackoffResetsAfterStablePipe checks that a pipe that lived at least
// core.StableAfter resets the backoff: after short-lived pipes grew it to
// seconds, the loss of a stable pipe is followed by a reconnect within
// ReconnectMin.
func TestBackoffResetsAfterStablePipe(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &flapping{kill: true}
		rx, tx := flappingPair(t, f)
		time.Sleep(2 * time.Second) // the backoff grows
		f.mu.Lock()
		f.kill = false
		n := len(f.joined)
		f.mu.Unlock()
		for f.count() == n { // the next pipe stays
			time.Sleep(10 * time.Millisecond)
		}
		time.Sleep(core.StableAfter + time.Second)
		f.mu.Lock()
		lost, stable := time.Now(), f.last
		f.mu.Unlock()
		require.NoError(t, stable.Close())
		for f.count() == n+1 {
			time.Sleep(time.Millisecond)
		}
		f.mu.Lock()
		gap := f.joined[n+1].Sub(lost)
		f.mu.Unlock()
		require.NoError(t, tx.Close())
		require.NoError(t, rx.Close())
		require.LessOrEqual(t, gap, 100*time.Millisecond, "got a reconnect %v after a stable pipe was lost, want at most ReconnectMin (100ms)", gap)
	})
}
