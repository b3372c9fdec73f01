package pub_test

import (
	"testing"

	"github.com/spgo/sp"
	"github.com/spgo/sp/protocol/protocoltest"
	"github.com/spgo/sp/protocol/pub"
	"github.com/spgo/sp/protocol/sub"
)

// TestConformance runs the protocol conformance suite on pub sockets.
func TestConformance(t *testing.T) {
	protocoltest.Run(t, protocoltest.Config{
		NewSocket:    pub.NewSocket,
		NewRawSocket: pub.NewRawSocket,
		NewPeer: func() (sp.Socket, error) {
			s, err := sub.NewSocket()
			if err == nil {
				err = sub.Subscribe(s, "")
			}
			return s, err
		},
		Info:    sp.ProtocolInfo{Self: 0x20, Peer: 0x21, SelfName: "pub", PeerName: "sub"},
		Pattern: protocoltest.SendOnly,
	})
}
