package wire

import (
	"fmt"

	"github.com/spgo/sp"
)

// The hop count header of pair v1 and star: one big-endian word holding the
// number of hops a message has made, whose upper 24 bits are reserved and
// zero.
const (
	hopSize = 4    // size of the header
	maxHop  = 0xff // largest count a well-formed header holds
)

// SplitHop decodes the hop count header at the start of a received message
// and returns the count and the body behind it. ok is false when b is
// shorter than the header or the count is over 0xff: the peer is broken,
// and its pipe must be closed.
func SplitHop(b []byte) (hop uint32, body []byte, ok bool) {
	if len(b) < hopSize {
		return 0, nil, false
	}
	hop = Uint32(b)
	if hop > maxHop {
		return 0, nil, false
	}
	return hop, b[hopSize:], true
}

// AppendHop appends the hop count header for hop (at most 0xff) to b and
// returns the extended slice.
func AppendHop(b []byte, hop uint32) []byte {
	return AppendUint32(b, hop)
}

// RawHop returns the hop count in the Header of a message sent on a raw
// socket: an empty Header counts as 0 hops. Another size than 4 bytes, or a
// count over 0xff, is an error wrapping sp.ErrMalformed.
func RawHop(h []byte) (uint32, error) {
	if len(h) == 0 {
		return 0, nil
	}
	if len(h) != hopSize {
		return 0, fmt.Errorf("%w: a raw message needs a %d-byte hop count header, not %d bytes",
			sp.ErrMalformed, hopSize, len(h))
	}
	hop := Uint32(h)
	if hop > maxHop {
		return 0, fmt.Errorf("%w: hop count %#x in a raw header is over 0xff", sp.ErrMalformed, hop)
	}
	return hop, nil
}
