package star

import (
	"bytes"
	"testing"

	"github.com/spgo/sp/internal/wire"
)

// FuzzHopHeader checks splitHop on any input (the same decoder as pair1's): it accepts exactly the
// messages of at least 4 bytes whose first 3 are zero, returns the 4th as
// the count and the rest as the body, and never panics.
func FuzzHopHeader(f *testing.F) {
	for _, seed := range [][]byte{
		nil, {0}, {0, 0, 0}, {0, 0, 0, 1}, {0, 0, 0, 8, 'h', 'i'}, {0, 0, 0, 0xff},
		{0, 0, 1, 0}, {0x80, 0, 0, 1, 'x'}, {0, 1, 0, 0}, {0xff, 0xff, 0xff, 0xff},
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		hop, body, ok := splitHop(b)
		want := len(b) >= 4 && b[0] == 0 && b[1] == 0 && b[2] == 0
		if ok != want {
			t.Fatalf("splitHop(% x): ok %v, want %v", b, ok, want)
		}
		if !ok {
			return
		}
		if hop != uint32(b[3]) || !bytes.Equal(body, b[4:]) {
			t.Fatalf("splitHop(% x) = %d, % x; want %d, % x", b, hop, body, b[3], b[4:])
		}
		if again := append(wire.AppendUint32(nil, hop), body...); !bytes.Equal(again, b) {
			t.Fatalf("re-encoded % x, want % x", again, b)
		}
		h, err := rawHop(b[:4])
		if err != nil || h != hop {
			t.Fatalf("rawHop(% x) = %d, %v; want %d", b[:4], h, err, hop)
		}
	})
}
