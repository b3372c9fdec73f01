package pair1

import "github.com/spgo/sp"

// Polyamorous makes a pair1 socket polyamorous: it keeps many peers at once
// instead of one. It can be set only before the socket's first Dial, Listen,
// NewDialer or NewListener; after that, setting it fails with an error
// wrapping sp.ErrBadState. Default false. NewPolySocket returns a socket
// with it already set.
var Polyamorous = sp.NewOption[bool]("pair1:polyamorous")
