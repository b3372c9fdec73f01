package respondent_test

import (
	"testing"

	"github.com/spgo/sp"
	"github.com/spgo/sp/protocol/protocoltest"
	"github.com/spgo/sp/protocol/respondent"
	"github.com/spgo/sp/protocol/surveyor"
)

// TestConformance runs the protocol conformance suite on respondent sockets.
func TestConformance(t *testing.T) {
	protocoltest.Run(t, protocoltest.Config{
		NewSocket:    respondent.NewSocket,
		NewRawSocket: respondent.NewRawSocket,
		NewPeer: func() (sp.Socket, error) {
			s, err := surveyor.NewSocket()
			if err == nil { // surveys that outlast any passing test
				err = sp.SetOption(s, surveyor.SurveyTime, protocoltest.Timeout)
			}
			return s, err
		},
		Info:     sp.ProtocolInfo{Self: 0x63, Peer: 0x62, SelfName: "respondent", PeerName: "surveyor"},
		Pattern:  protocoltest.Replies,
		Contexts: true,
		Header:   4,
	})
}
