package wire

import (
	"fmt"

	"github.com/spgo/sp"
)

// BacktraceLen returns the length in bytes of the backtrace at the start of
// b: 32-bit big-endian words up to and including the first word with the top
// bit set (the request or survey id). Words before it are hops (pipe ids with
// the top bit clear). An input with no such word, or fewer than 4 bytes,
// returns an error wrapping sp.ErrMalformed. BacktraceLen does not limit the
// number of hops; callers compare the result with their max TTL.
func BacktraceLen(b []byte) (int, error) {
	for i := 0; i+4 <= len(b); i += 4 {
		if b[i]&0x80 != 0 {
			return i + 4, nil
		}
	}
	if len(b) < 4 {
		return 0, fmt.Errorf("%w: backtrace of %d bytes, want at least 4",
			sp.ErrMalformed, len(b))
	}
	return 0, fmt.Errorf("%w: backtrace never ends: no word with the top bit set in %d bytes",
		sp.ErrMalformed, len(b))
}
