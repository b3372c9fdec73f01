//go:build race

package sp_test

// raceEnabled is true under the race detector, which makes sync.Pool drop
// items at random, so exact allocation counts are not checked.
const raceEnabled = true
