package pair1_test

import (
	"testing"

	"github.com/spgo/sp"
	"github.com/spgo/sp/protocol/pair"
	"github.com/spgo/sp/protocol/pair1"
	"github.com/spgo/sp/protocol/protocoltest"
)

// TestConformance runs the protocol conformance suite on pair1 sockets.
func TestConformance(t *testing.T) {
	protocoltest.Run(t, protocoltest.Config{
		NewSocket:        pair1.NewSocket,
		NewRawSocket:     pair1.NewRawSocket,
		NewPeer:          pair1.NewSocket,
		NewStranger:      pair.NewSocket,
		Info:             sp.ProtocolInfo{Self: 0x11, Peer: 0x11, SelfName: "pair1", PeerName: "pair1"},
		Pattern:          protocoltest.Both,
		OnePeer:          true,
		SendWaitsForPeer: true,
		SendWaitsForRoom: true,
		Header:           4,
		BadOptions:       []protocoltest.BadOption{{Name: pair1.Polyamorous.Name(), Value: 1}},
	})
}
