package pair1_test

import (
	"testing"

	"github.com/spgo/sp/internal/sptest"
	"github.com/spgo/sp/protocol/pair1"
)

// BenchmarkThroughput measures one pair1 socket sending to another, at each
// size over each transport, with pooled messages: see
// sptest.BenchThroughput.
func BenchmarkThroughput(b *testing.B) {
	sptest.BenchThroughput(b, pair1.NewSocket, pair1.NewSocket)
}

// BenchmarkLatency measures round trips between two pair1 sockets, at each
// size over each transport: see sptest.BenchLatency.
func BenchmarkLatency(b *testing.B) {
	sptest.BenchLatency(b, pair1.NewSocket, pair1.NewSocket)
}
