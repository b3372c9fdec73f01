package push_test

import (
	"testing"

	"github.com/spgo/sp"
	"github.com/spgo/sp/protocol/protocoltest"
	"github.com/spgo/sp/protocol/pull"
	"github.com/spgo/sp/protocol/push"
)

// TestConformance runs the protocol conformance suite on push sockets.
func TestConformance(t *testing.T) {
	protocoltest.Run(t, protocoltest.Config{
		NewSocket:        push.NewSocket,
		NewRawSocket:     push.NewRawSocket,
		NewPeer:          pull.NewSocket,
		Info:             sp.ProtocolInfo{Self: 0x50, Peer: 0x51, SelfName: "push", PeerName: "pull"},
		Pattern:          protocoltest.SendOnly,
		SendWaitsForPeer: true,
		SendWaitsForRoom: true,
	})
}
