package wire

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestFrameHeaderSize(t *testing.T) {
	require.Equal(t, 8, FrameHeaderSize(false))
	require.Equal(t, 9, FrameHeaderSize(true))
}

func TestAppendFrameHeader(t *testing.T) {
	tests := []struct {
		name string
		ipc  bool
		n    int
		want []byte
	}{
		{"tcp 0", false, 0, []byte{0, 0, 0, 0, 0, 0, 0, 0}},
		{"tcp 1", false, 1, []byte{0, 0, 0, 0, 0, 0, 0, 1}},
		{"tcp bytes", false, 0x0102030405060708, []byte{1, 2, 3, 4, 5, 6, 7, 8}},
		{"tcp max", false, math.MaxInt, []byte{0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
		{"ipc 0", true, 0, []byte{1, 0, 0, 0, 0, 0, 0, 0, 0}},
		{"ipc 64K", true, 64 << 10, []byte{1, 0, 0, 0, 0, 0, 1, 0, 0}},
		{"ipc bytes", true, 0x0102030405060708, []byte{1, 1, 2, 3, 4, 5, 6, 7, 8}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := AppendFrameHeader([]byte{0xee}, tt.ipc, tt.n)
			require.Equal(t, append([]byte{0xee}, tt.want...), b)
			require.Len(t, b[1:], FrameHeaderSize(tt.ipc))
			n, err := ParsePrefix(b[1:], tt.ipc)
			require.NoError(t, err)
			require.Equal(t, uint64(tt.n), n, "got %d, want %d", n, tt.n)
		})
	}
}

func TestAppendFrameHeaderNegative(t *testing.T) {
	require.Panics(t, func() { AppendFrameHeader(nil, false, -1) })
}

func TestUint32(t *testing.T) {
	b := AppendUint32([]byte{9}, 0x80000102)
	require.Equal(t, []byte{9, 0x80, 0, 1, 2}, b)
	require.Equal(t, uint32(0x80000102), Uint32(b[1:]))
}
