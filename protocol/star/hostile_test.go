package star_test

import (
	"testing"

	"github.com/spgo/sp/internal/sptest"
	"github.com/spgo/sp/protocol/star"
)

// Hand-made frames: a hop count over 0xff, or a message too short to hold
// one, closes the pipe; a count over sp.MaxTTL only drops the message.
func TestStarBadHeaders(t *testing.T) {
	sptest.HopHeaders(t, star.NewSocket, star.PeerID)
}
