package star

import "github.com/spgo/sp/internal/wire"

// hopSize is the size of the hop count header.
const hopSize = 4

// maxHop is the largest hop count a well-formed header holds: the upper 24
// bits of the word are reserved and zero.
const maxHop = 0xff

// splitHop decodes the hop count header at the start of a received
// message. ok is false when b is shorter than the header or the count is
// over 0xff: the peer is broken, and its pipe must be closed.
func splitHop(b []byte) (hop uint32, body []byte, ok bool) {
	if len(b) < hopSize {
		return 0, nil, false
	}
	hop = wire.Uint32(b)
	if hop > maxHop {
		return 0, nil, false
	}
	return hop, b[hopSize:], true
}
