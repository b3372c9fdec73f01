package rep_test

import (
	"testing"

	"github.com/spgo/sp"
	"github.com/spgo/sp/protocol/protocoltest"
	"github.com/spgo/sp/protocol/rep"
	"github.com/spgo/sp/protocol/req"
)

// TestConformance runs the protocol conformance suite on rep sockets.
func TestConformance(t *testing.T) {
	protocoltest.Run(t, protocoltest.Config{
		NewSocket:    rep.NewSocket,
		NewRawSocket: rep.NewRawSocket,
		NewPeer:      req.NewSocket,
		Info:         sp.ProtocolInfo{Self: 0x31, Peer: 0x30, SelfName: "rep", PeerName: "req"},
		Pattern:      protocoltest.Replies,
		Contexts:     true,
		Header:       4,
	})
}
