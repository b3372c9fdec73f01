package pair1_test

import (
	"testing"

	"github.com/spgo/sp/internal/sptest"
	"github.com/spgo/sp/protocol/pair1"
)

// Hand-made frames: a hop count over 0xff, or a message too short to hold
// one, closes the pipe; a count over sp.MaxTTL only drops the message.
func TestPair1BadHeaders(t *testing.T) {
	sptest.HopHeaders(t, pair1.NewSocket, pair1.PeerID)
}
