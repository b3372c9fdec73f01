package sub_test

import (
	"testing"

	"github.com/spgo/sp"
	"github.com/spgo/sp/protocol/protocoltest"
	"github.com/spgo/sp/protocol/pub"
	"github.com/spgo/sp/protocol/sub"
)

// TestConformance runs the protocol conformance suite on sub sockets.
func TestConformance(t *testing.T) {
	protocoltest.Run(t, protocoltest.Config{
		NewSocket: func() (sp.Socket, error) {
			s, err := sub.NewSocket()
			if err == nil {
				err = sub.Subscribe(s, "")
			}
			return s, err
		},
		NewRawSocket: sub.NewRawSocket,
		NewPeer:      pub.NewSocket,
		Info:         sp.ProtocolInfo{Self: 0x21, Peer: 0x20, SelfName: "sub", PeerName: "pub"},
		Pattern:      protocoltest.RecvOnly,
		Contexts:     true,
		SetupContext: func(c sp.Context) error { return sub.Subscribe(c, "") },
		BadOptions: []protocoltest.BadOption{
			{Name: sub.SubscribeOption.Name(), Value: "a string"},
			{Name: sub.UnsubscribeOption.Name(), Value: []byte("never subscribed")},
		},
	})
}
