package req_test

import (
	"context"
	"testing"

	"github.com/spgo/sp"
	"github.com/spgo/sp/protocol/protocoltest"
	"github.com/spgo/sp/protocol/rep"
	"github.com/spgo/sp/protocol/req"
)

// TestConformance runs the protocol conformance suite on req sockets.
func TestConformance(t *testing.T) {
	protocoltest.Run(t, protocoltest.Config{
		NewSocket:        req.NewSocket,
		NewRawSocket:     req.NewRawSocket,
		NewPeer:          rep.NewSocket,
		Info:             sp.ProtocolInfo{Self: 0x30, Peer: 0x31, SelfName: "req", PeerName: "rep"},
		Pattern:          protocoltest.Requests,
		Contexts:         true,
		SendWaitsForPeer: true,
		Header:           4,
		Helpers: []func(context.Context, sp.Socket) error{func(ctx context.Context, s sp.Socket) error {
			_, err := req.Request(ctx, s, []byte("x"))
			return err
		}},
		RawHeader:  []byte{0x80, 0, 0, 1},
		BadOptions: []protocoltest.BadOption{{Name: req.ResendTime.Name(), Value: 60}},
	})
}
