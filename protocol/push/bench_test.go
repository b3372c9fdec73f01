package push_test

import (
	"testing"

	"github.com/spgo/sp/internal/sptest"
	"github.com/spgo/sp/protocol/pull"
	"github.com/spgo/sp/protocol/push"
)

// BenchmarkThroughput measures push to pull, at each size over each
// transport, with pooled messages: see sptest.BenchThroughput.
func BenchmarkThroughput(b *testing.B) {
	sptest.BenchThroughput(b, pull.NewSocket, push.NewSocket)
}
