package rep

import (
	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/core"
	"github.com/spgo/sp/internal/replier"
)

// Protocol ids.
const (
	ProtocolID   = 0x31 // rep
	PeerID       = 0x30 // req
	ProtocolName = "rep"
	PeerName     = "req"
)

var info = sp.ProtocolInfo{Self: ProtocolID, Peer: PeerID, SelfName: ProtocolName, PeerName: PeerName}

// NewSocket returns a rep socket.
func NewSocket() (sp.Socket, error) { return core.NewSocket(replier.New(info, "request")), nil }

// NewRawSocket returns a raw rep socket, for devices and for applications
// that answer requests out of order. Recv gives each request with its
// backtrace in Header, the id of the pipe it came from first; Send routes a
// message by the first word of its Header and sends the rest of the Header
// before the body; a message for a pipe that is gone is dropped.
func NewRawSocket() (sp.Socket, error) { return core.NewSocket(replier.NewRaw(info)), nil }
