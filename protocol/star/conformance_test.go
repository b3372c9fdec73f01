package star_test

import (
	"testing"

	"github.com/spgo/sp"
	"github.com/spgo/sp/protocol/bus"
	"github.com/spgo/sp/protocol/protocoltest"
	"github.com/spgo/sp/protocol/star"
)

// TestConformance runs the protocol conformance suite on star sockets.
func TestConformance(t *testing.T) {
	protocoltest.Run(t, protocoltest.Config{
		NewSocket:    star.NewSocket,
		NewRawSocket: star.NewRawSocket,
		NewPeer:      star.NewSocket,
		NewStranger:  bus.NewSocket,
		Info:         sp.ProtocolInfo{Self: 0x640, Peer: 0x640, SelfName: "star", PeerName: "star"},
		Pattern:      protocoltest.Both,
		Header:       4,
	})
}
