package core_test

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/spgo/sp/internal/core"
	"github.com/stretchr/testify/require"
)

// A Deadline passes at exactly its duration after its first use, and its
// timer stays in the bubble that made it: a Deadline used in a
// testing/synctest bubble and then one used outside (or in another bubble)
// do not share a timer, which would be a fatal error (as a pool of timers
// once made it).
func TestDeadlineAcrossBubbles(t *testing.T) {
	use := func(t *testing.T, d time.Duration) {
		dl := core.NewDeadline(d)
		defer dl.Stop()
		start := time.Now()
		<-dl.C()
		require.GreaterOrEqual(t, time.Since(start), d, "the deadline passed after %v, want %v", time.Since(start), d)
	}
	for i := range 2 {
		synctest.Test(t, func(t *testing.T) {
			start := time.Now()
			use(t, time.Hour)
			require.Equal(t, time.Hour, time.Since(start), "bubble %d: the deadline passed after %v, want 1h", i, time.Since(start))
		})
		use(t, time.Millisecond)
	}
}
