// Package hostile_test runs hostile peers against listening sockets of every
// protocol over tcp, ipc and ws, while a good peer is served in parallel.
package hostile_test

import (
	"flag"
	"testing"

	"github.com/spgo/sp/internal/leaktest"
)

// TestMain checks for leaked goroutines. The tests mostly wait on the
// network, so unless -test.parallel was given it runs more of them at once
// than the default GOMAXPROCS.
func TestMain(m *testing.M) {
	flag.Parse()
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "test.parallel" })
	if !set {
		_ = flag.Set("test.parallel", "8")
	}
	leaktest.VerifyTestMain(m)
}
