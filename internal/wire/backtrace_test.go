package wire

import (
	"testing"

	"github.com/spgo/sp"
	"github.com/stretchr/testify/require"
)

// words returns the big-endian encoding of ws.
func words(ws ...uint32) []byte {
	var b []byte
	for _, w := range ws {
		b = AppendUint32(b, w)
	}
	return b
}

func TestBacktraceLen(t *testing.T) {
	eight := words(1, 2, 3, 4, 5, 6, 0x7fffffff, 0x80000000)
	tests := []struct {
		name string
		in   []byte
		want int
	}{
		{"1 word", words(0x80000001), 4},
		{"1 word max id", words(0xffffffff), 4},
		{"2 words", words(0x00000007, 0x80000002), 8},
		{"8 words", eight, 32},
		{"1 word then body", append(words(0x80000001), "body"...), 4},
		{"2 words then body with top bits", append(words(5, 0x8000abcd), 0xff, 0xff, 0xff, 0xff), 8},
		{"8 words then partial word", append(eight, 0x80, 0), 32},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := BacktraceLen(tt.in)
			require.NoError(t, err)
			require.Equal(t, tt.want, got, "got %d, want %d", got, tt.want)
		})
	}
}

func TestBacktraceLenUnterminated(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want string
	}{
		{"empty", nil, "backtrace of 0 bytes, want at least 4"},
		{"3 bytes with top bit", []byte{0x80, 0, 0}, "backtrace of 3 bytes, want at least 4"},
		{"1 hop only", words(1), "no word with the top bit set in 4 bytes"},
		{"top bit in last byte", []byte{0, 0, 0, 0x80}, "no word with the top bit set in 4 bytes"},
		{"8 hops", words(1, 2, 3, 4, 5, 6, 7, 8), "no word with the top bit set in 32 bytes"},
		{"hop then partial id", append(words(1), 0x80, 0, 0), "no word with the top bit set in 7 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := BacktraceLen(tt.in)
			require.ErrorIs(t, err, sp.ErrMalformed)
			require.ErrorContains(t, err, tt.want)
			require.Zero(t, got)
		})
	}
}
