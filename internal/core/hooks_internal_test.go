package core

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// goid tells goroutines apart, and gives one goroutine the same id each
// time.
func TestGoid(t *testing.T) {
	const n = 8
	ids := make(chan uint64, n)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			id := goid()
			require.Equal(t, id, goid(), "goid twice on one goroutine")
			ids <- id
		})
	}
	wg.Wait()
	close(ids)
	seen := map[uint64]bool{goid(): true}
	for id := range ids {
		require.NotZero(t, id, "goid: got 0")
		require.False(t, seen[id], "goid %d on two goroutines", id)
		seen[id] = true
	}
}
