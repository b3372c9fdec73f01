package stream

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/wire"
	"github.com/stretchr/testify/require"
)

// The seed corpus is in testdata/fuzz/FuzzReadFrame too.

func FuzzReadFrame(f *testing.F) {
	f.Add(frame(false, []byte("hello")), false, true, uint16(0))
	f.Add(frame(true, []byte("abc")), true, false, uint16(16))
	f.Add(claim(false, 1<<63, nil), false, true, uint16(0))
	f.Add(claim(true, 1<<40, []byte("0123456789")), true, true, uint16(0))
	f.Add(claim(false, 11, []byte("0123456789a")), false, false, uint16(10))
	f.Fuzz(func(t *testing.T, data []byte, ipc, short bool, limit uint16) {
		reader := func(b []byte) io.Reader {
			if short {
				return iotest.HalfReader(bytes.NewReader(b))
			}
			return bytes.NewReader(b)
		}
		lim := int(limit)
		h := wire.FrameHeaderSize(ipc)

		// data as a raw stream: either a valid frame at its start, or a
		// known error.
		m, err := frameReader(reader(data)).readFrame(ipc, lim)
		if err != nil {
			require.Nil(t, m)
			require.True(t, errors.Is(err, sp.ErrTooLarge) || errors.Is(err, sp.ErrMalformed) ||
				err == io.EOF || err == io.ErrUnexpectedEOF, "unexpected error %v", err)
		} else {
			n := len(m.Body)
			require.Empty(t, m.Header)
			require.Equal(t, wire.AppendFrameHeader(nil, ipc, n), data[:h])
			require.Equal(t, data[h:h+n], m.Body)
			if lim > 0 {
				require.LessOrEqual(t, n, lim)
			}
			m.Free()
		}

		// data framed: ReadFrame returns it, unless it is over the limit.
		stream := frame(ipc, data)
		over := lim > 0 && len(data) > lim
		m, err = frameReader(reader(stream)).readFrame(ipc, lim)
		if over {
			require.ErrorIs(t, err, sp.ErrTooLarge)
		} else {
			require.NoError(t, err)
			require.Equal(t, data, m.Body)
			m.Free()
		}

		// the same frame cut short by one byte: never a message.
		m, err = frameReader(reader(stream[:len(stream)-1])).readFrame(ipc, lim)
		require.Nil(t, m)
		if over {
			require.ErrorIs(t, err, sp.ErrTooLarge)
		} else {
			require.Equal(t, io.ErrUnexpectedEOF, err, "got %v, want io.ErrUnexpectedEOF", err)
		}
	})
}
