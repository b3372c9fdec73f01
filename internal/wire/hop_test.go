package wire

import (
	"bytes"
	"testing"

	"github.com/spgo/sp"
	"github.com/stretchr/testify/require"
)

// FuzzSplitHop checks SplitHop on any input: it accepts exactly the
// messages of at least 4 bytes whose first 3 are zero, returns the 4th as
// the count and the rest as the body, and never panics. What it accepts,
// AppendHop re-encodes and RawHop accepts; a 4-byte header it refuses,
// RawHop refuses too. The seed corpus is in testdata/fuzz/FuzzSplitHop/ too.
func FuzzSplitHop(f *testing.F) {
	for _, seed := range [][]byte{
		nil, {0}, {0, 0, 0}, {0, 0, 0, 1}, {0, 0, 0, 8, 'h', 'i'}, {0, 0, 0, 0xff},
		{0, 0, 1, 0}, {0x80, 0, 0, 1, 'x'}, {0, 1, 0, 0}, {0xff, 0xff, 0xff, 0xff},
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		hop, body, ok := SplitHop(b)
		want := len(b) >= 4 && b[0] == 0 && b[1] == 0 && b[2] == 0
		require.Equal(t, want, ok, "SplitHop(% x): ok %v, want %v", b, ok, want)
		if len(b) >= 4 {
			h, err := RawHop(b[:4])
			if ok {
				require.NoError(t, err, "RawHop(% x)", b[:4])
				require.Equal(t, hop, h, "RawHop(% x)", b[:4])
			} else {
				require.ErrorIs(t, err, sp.ErrMalformed, "RawHop(% x)", b[:4])
			}
		}
		if !ok {
			require.Zero(t, hop)
			require.Nil(t, body)
			return
		}
		require.Equal(t, uint32(b[3]), hop, "SplitHop(% x)", b)
		require.True(t, bytes.Equal(b[4:], body), "SplitHop(% x): body % x", b, body)
		again := append(AppendHop(nil, hop), body...)
		require.True(t, bytes.Equal(b, again), "re-encoded % x, want % x", again, b)
	})
}

func TestRawHop(t *testing.T) {
	cases := []struct {
		h       []byte
		want    uint32
		wantErr bool
	}{
		{nil, 0, false},
		{[]byte{}, 0, false},
		{[]byte{0, 0, 0, 0}, 0, false},
		{[]byte{0, 0, 0, 7}, 7, false},
		{[]byte{0, 0, 0, 0xff}, 0xff, false},
		{[]byte{0, 0, 1}, 0, true},
		{make([]byte, 8), 0, true},
		{[]byte{0, 0, 1, 0}, 0, true},
		{[]byte{0x80, 0, 0, 1}, 0, true},
	}
	for _, tc := range cases {
		got, err := RawHop(tc.h)
		if tc.wantErr {
			require.ErrorIs(t, err, sp.ErrMalformed, "RawHop(% x)", tc.h)
			require.Zero(t, got)
			continue
		}
		require.NoError(t, err, "RawHop(% x)", tc.h)
		require.Equal(t, tc.want, got, "RawHop(% x)", tc.h)
	}
}
