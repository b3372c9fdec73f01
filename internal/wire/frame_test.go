package wire

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"testing"

	"github.com/spgo/sp"
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
			n, err := parsePrefix(b[1:], tt.ipc)
			require.NoError(t, err)
			require.Equal(t, uint64(tt.n), n, "got %d, want %d", n, tt.n)
		})
	}
}

func TestAppendFrameHeaderNegative(t *testing.T) {
	require.Panics(t, func() { AppendFrameHeader(nil, false, -1) })
}

func TestReadFrameRoundTrip(t *testing.T) {
	sizes := []int{0, 1, 64, 64 << 10, 1<<20 + 3}
	for _, ipc := range []bool{false, true} {
		for _, rk := range readerKinds {
			for _, size := range sizes {
				name := fmt.Sprintf("ipc=%v/%s/%d", ipc, rk.name, size)
				t.Run(name, func(t *testing.T) {
					if size > 64<<10 && rk.name == "bufio-onebyte" && testing.Short() {
						t.Skip("slow in -short mode")
					}
					payload := pattern(size)
					// Two frames back to back, then a clean end of stream.
					stream := append(frame(ipc, payload), frame(ipc, []byte("next"))...)
					r := rk.wrap(stream)
					m, err := ReadFrame(r, ipc, 0)
					require.NoError(t, err)
					require.Empty(t, m.Header)
					require.True(t, bytes.Equal(payload, m.Body), "got %d bytes of body, want %d", len(m.Body), size)
					m.Free()
					m, err = ReadFrame(r, ipc, size+4)
					require.NoError(t, err)
					require.Equal(t, "next", string(m.Body))
					m.Free()
					_, err = ReadFrame(r, ipc, 0)
					require.Equal(t, io.EOF, err, "got %v, want io.EOF", err)
				})
			}
		}
	}
}

func TestReadFrameBadIPCType(t *testing.T) {
	for _, typ := range []byte{0x00, 0x02, 0x80, 0xff} {
		for _, rk := range readerKinds {
			t.Run(fmt.Sprintf("0x%02x/%s", typ, rk.name), func(t *testing.T) {
				stream := frame(true, []byte("abc"))
				stream[0] = typ
				m, err := ReadFrame(rk.wrap(stream), true, 0)
				require.Nil(t, m)
				require.ErrorIs(t, err, sp.ErrMalformed)
				require.ErrorContains(t, err, fmt.Sprintf("ipc frame type 0x%02x, want 0x01", typ))
			})
		}
	}
}

func TestReadFrameShort(t *testing.T) {
	tests := []struct {
		name   string
		stream func(ipc bool) []byte
		want   error
	}{
		{"empty", func(bool) []byte { return nil }, io.EOF},
		{"one prefix byte", func(ipc bool) []byte { return frame(ipc, nil)[:1] }, io.ErrUnexpectedEOF},
		{"prefix less one", func(ipc bool) []byte {
			return frame(ipc, nil)[:FrameHeaderSize(ipc)-1]
		}, io.ErrUnexpectedEOF},
		{"prefix only", func(ipc bool) []byte { return claim(ipc, 5, nil) }, io.ErrUnexpectedEOF},
		{"part of payload", func(ipc bool) []byte { return claim(ipc, 5, []byte("ab")) }, io.ErrUnexpectedEOF},
		{"payload less one", func(ipc bool) []byte { return claim(ipc, 5, []byte("abcd")) }, io.ErrUnexpectedEOF},
		{"past the first chunk", func(ipc bool) []byte {
			return claim(ipc, 1<<20, pattern(100<<10))
		}, io.ErrUnexpectedEOF},
		{"one byte under 1 MiB+3", func(ipc bool) []byte {
			return claim(ipc, 1<<20+3, pattern(1<<20+2))
		}, io.ErrUnexpectedEOF},
	}
	for _, ipc := range []bool{false, true} {
		for _, rk := range readerKinds {
			for _, tt := range tests {
				if rk.name == "bufio-onebyte" && len(tt.stream(ipc)) > 1<<16 {
					continue // one byte per read: too slow for a megabyte
				}
				t.Run(fmt.Sprintf("ipc=%v/%s/%s", ipc, rk.name, tt.name), func(t *testing.T) {
					m, err := ReadFrame(rk.wrap(tt.stream(ipc)), ipc, 0)
					require.Nil(t, m)
					require.Equal(t, tt.want, err, "got %v, want %v", err, tt.want)
				})
			}
		}
	}
}

var errBoom = errors.New("boom")

// failingReader returns data and then err.
type failingReader struct {
	data []byte
	err  error
}

func (f *failingReader) Read(p []byte) (int, error) {
	if len(f.data) == 0 {
		return 0, f.err
	}
	n := copy(p, f.data)
	f.data = f.data[n:]
	return n, nil
}

func TestReadFrameReaderError(t *testing.T) {
	tests := []struct {
		name string
		data []byte
	}{
		{"before the prefix", nil},
		{"in the prefix", []byte{0, 0, 0}},
		{"in the payload", claim(false, 10, []byte("abc"))},
	}
	for _, tt := range tests {
		for _, buffered := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/buffered=%v", tt.name, buffered), func(t *testing.T) {
				var r io.Reader = &failingReader{data: tt.data, err: errBoom}
				if buffered {
					r = bufio.NewReader(r)
				}
				m, err := ReadFrame(r, false, 0)
				require.Nil(t, m)
				require.ErrorIs(t, err, errBoom)
			})
		}
	}
}

func TestUint32(t *testing.T) {
	b := AppendUint32([]byte{9}, 0x80000102)
	require.Equal(t, []byte{9, 0x80, 0, 1, 2}, b)
	require.Equal(t, uint32(0x80000102), Uint32(b[1:]))
}
