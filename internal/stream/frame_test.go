package stream

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/wire"
	"github.com/stretchr/testify/require"
)

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
					r := frameReader(rk.wrap(stream))
					m, err := r.readFrame(ipc, 0)
					require.NoError(t, err)
					require.Empty(t, m.Header)
					require.True(t, bytes.Equal(payload, m.Body), "got %d bytes of body, want %d", len(m.Body), size)
					m.Free()
					m, err = r.readFrame(ipc, size+4)
					require.NoError(t, err)
					require.Equal(t, "next", string(m.Body))
					m.Free()
					_, err = r.readFrame(ipc, 0)
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
				m, err := frameReader(rk.wrap(stream)).readFrame(true, 0)
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
			return frame(ipc, nil)[:wire.FrameHeaderSize(ipc)-1]
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
					m, err := frameReader(rk.wrap(tt.stream(ipc))).readFrame(ipc, 0)
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
				m, err := frameReader(r).readFrame(false, 0)
				require.Nil(t, m)
				require.ErrorIs(t, err, errBoom)
			})
		}
	}
}
