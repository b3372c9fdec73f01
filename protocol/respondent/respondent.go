package respondent

import (
	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/core"
	"github.com/spgo/sp/internal/replier"
)

// Protocol ids.
const (
	ProtocolID   = 0x63 // respondent
	PeerID       = 0x62 // surveyor
	ProtocolName = "respondent"
	PeerName     = "surveyor"
)

var info = sp.ProtocolInfo{Self: ProtocolID, Peer: PeerID, SelfName: ProtocolName, PeerName: PeerName}

// NewSocket returns a respondent socket.
func NewSocket() (sp.Socket, error) { return core.NewSocket(replier.New(info, "survey")), nil }

// NewRawSocket returns a raw respondent socket, for devices and for
// applications that answer surveys out of order. Recv gives each survey with
// its backtrace in Header, the id of the pipe it came from first; Send
// routes a message by the first word of its Header and sends the rest of
// the Header before the body; a message for a pipe that is gone is dropped.
func NewRawSocket() (sp.Socket, error) { return core.NewSocket(replier.NewRaw(info)), nil }
