package pair_test

import (
	"testing"

	"github.com/spgo/sp"
	"github.com/spgo/sp/protocol/pair"
	"github.com/spgo/sp/protocol/protocoltest"
	"github.com/spgo/sp/protocol/push"
)

// TestConformance runs the protocol conformance suite on pair sockets.
func TestConformance(t *testing.T) {
	protocoltest.Run(t, protocoltest.Config{
		NewSocket:        pair.NewSocket,
		NewRawSocket:     pair.NewRawSocket,
		NewPeer:          pair.NewSocket,
		NewStranger:      push.NewSocket,
		Info:             sp.ProtocolInfo{Self: 0x10, Peer: 0x10, SelfName: "pair", PeerName: "pair"},
		Pattern:          protocoltest.Both,
		OnePeer:          true,
		SendWaitsForPeer: true,
		SendWaitsForRoom: true,
	})
}
