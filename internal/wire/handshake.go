package wire

import (
	"encoding/binary"
	"fmt"

	"github.com/spgo/sp"
)

// HandshakeSize is the length of the SP stream handshake (8).
const HandshakeSize = 8

// AppendHandshake appends the 8-byte SP handshake 00 'S' 'P' 00 <proto u16 BE>
// 00 00 to b and returns the extended slice.
func AppendHandshake(b []byte, proto uint16) []byte {
	b = append(b, 0, 'S', 'P', 0)
	b = binary.BigEndian.AppendUint16(b, proto)
	return append(b, 0, 0)
}

// ParseHandshake checks a received handshake and returns the peer's protocol
// id. It looks at the first HandshakeSize bytes of b and ignores the rest.
// Its errors wrap sp.ErrBadProtocol and say what was wrong: input shorter than
// HandshakeSize, a signature other than "\x00SP", a version byte other than 0,
// or reserved bytes other than 0.
func ParseHandshake(b []byte) (proto uint16, err error) {
	if len(b) < HandshakeSize {
		return 0, fmt.Errorf("%w: short handshake: got %d bytes, want %d",
			sp.ErrBadProtocol, len(b), HandshakeSize)
	}
	if b[0] != 0 || b[1] != 'S' || b[2] != 'P' {
		return 0, fmt.Errorf("%w: not an SP handshake: got signature %02x %02x %02x, want 00 53 50",
			sp.ErrBadProtocol, b[0], b[1], b[2])
	}
	if b[3] != 0 {
		return 0, fmt.Errorf("%w: unsupported SP version %d, want 0", sp.ErrBadProtocol, b[3])
	}
	if b[6] != 0 || b[7] != 0 {
		return 0, fmt.Errorf("%w: reserved handshake bytes are %02x %02x, want 00 00",
			sp.ErrBadProtocol, b[6], b[7])
	}
	return binary.BigEndian.Uint16(b[4:6]), nil
}
