package surveyor_test

import (
	"context"
	"testing"
	"time"

	"github.com/spgo/sp"
	"github.com/spgo/sp/protocol/protocoltest"
	"github.com/spgo/sp/protocol/respondent"
	"github.com/spgo/sp/protocol/surveyor"
)

// TestConformance runs the protocol conformance suite on surveyor sockets.
func TestConformance(t *testing.T) {
	protocoltest.Run(t, protocoltest.Config{
		NewSocket: func() (sp.Socket, error) {
			s, err := surveyor.NewSocket()
			if err == nil { // surveys that outlast any passing test
				err = sp.SetOption(s, surveyor.SurveyTime, protocoltest.Timeout)
			}
			return s, err
		},
		NewRawSocket: surveyor.NewRawSocket,
		NewPeer:      respondent.NewSocket,
		Info:         sp.ProtocolInfo{Self: 0x62, Peer: 0x63, SelfName: "surveyor", PeerName: "respondent"},
		Pattern:      protocoltest.Requests,
		Contexts:     true,
		Header:       4,
		Helpers: []func(context.Context, sp.Socket) error{func(ctx context.Context, s sp.Socket) error {
			_, err := surveyor.SurveyAll(ctx, s, []byte("x"))
			return err
		}},
		RawHeader: []byte{0x80, 0, 0, 1},
		BadOptions: []protocoltest.BadOption{
			{Name: surveyor.SurveyTime.Name(), Value: time.Duration(0)},
			{Name: surveyor.SurveyTime.Name(), Value: -time.Second},
		},
	})
}
