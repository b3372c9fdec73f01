package bus_test

import (
	"testing"

	"github.com/spgo/sp"
	"github.com/spgo/sp/protocol/bus"
	"github.com/spgo/sp/protocol/pair1"
	"github.com/spgo/sp/protocol/protocoltest"
)

// TestConformance runs the protocol conformance suite on bus sockets.
func TestConformance(t *testing.T) {
	protocoltest.Run(t, protocoltest.Config{
		NewSocket:    bus.NewSocket,
		NewRawSocket: bus.NewRawSocket,
		NewPeer:      bus.NewSocket,
		NewStranger:  pair1.NewSocket,
		Info:         sp.ProtocolInfo{Self: 0x70, Peer: 0x70, SelfName: "bus", PeerName: "bus"},
		Pattern:      protocoltest.Both,
	})
}
