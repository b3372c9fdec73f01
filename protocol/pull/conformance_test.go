package pull_test

import (
	"testing"

	"github.com/spgo/sp"
	"github.com/spgo/sp/protocol/protocoltest"
	"github.com/spgo/sp/protocol/pull"
	"github.com/spgo/sp/protocol/push"
)

// TestConformance runs the protocol conformance suite on pull sockets.
func TestConformance(t *testing.T) {
	protocoltest.Run(t, protocoltest.Config{
		NewSocket:    pull.NewSocket,
		NewRawSocket: pull.NewRawSocket,
		NewPeer:      push.NewSocket,
		Info:         sp.ProtocolInfo{Self: 0x51, Peer: 0x50, SelfName: "pull", PeerName: "push"},
		Pattern:      protocoltest.RecvOnly,
	})
}
