package wire

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/spgo/sp"
	"github.com/stretchr/testify/require"
)

// The seed corpus of each target is in testdata/fuzz/<target>/ too.

func FuzzParseHandshake(f *testing.F) {
	f.Add(AppendHandshake(nil, 0x30), uint16(0x31))
	f.Add([]byte("\x00SP\x01\x00\x30\x00\x00"), uint16(0x10))
	f.Add([]byte("\x00SP\x00"), uint16(0xffff))
	f.Fuzz(func(t *testing.T, b []byte, proto uint16) {
		got, err := ParseHandshake(AppendHandshake(nil, proto))
		require.NoError(t, err)
		require.Equal(t, proto, got, "round trip: got 0x%x, want 0x%x", got, proto)

		got, err = ParseHandshake(b)
		if err != nil {
			require.ErrorIs(t, err, sp.ErrBadProtocol)
			require.Zero(t, got)
			valid := len(b) >= HandshakeSize &&
				bytes.Equal(b[:HandshakeSize], AppendHandshake(nil, binary.BigEndian.Uint16(b[4:6])))
			require.False(t, valid, "rejected a valid handshake % x: %v", b, err)
			return
		}
		require.GreaterOrEqual(t, len(b), HandshakeSize)
		require.Equal(t, AppendHandshake(nil, got), b[:HandshakeSize])
	})
}

func FuzzBacktraceLen(f *testing.F) {
	f.Add(words(0x80000001))
	f.Add(append(words(1, 2, 0x80000003), "body"...))
	f.Add(words(1, 2, 3))
	f.Add([]byte{0x80, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		n, err := BacktraceLen(b)
		end := 0 // where the first word with the top bit set ends; 0 if none
		for i := 0; i+4 <= len(b); i += 4 {
			if b[i]&0x80 != 0 {
				end = i + 4
				break
			}
		}
		if err != nil {
			require.ErrorIs(t, err, sp.ErrMalformed)
			require.Zero(t, n)
			require.Zero(t, end, "rejected % x, which has an id word ending at %d", b, end)
			return
		}
		require.Zero(t, n%4, "got %d, want a multiple of 4", n)
		require.GreaterOrEqual(t, n, 4)
		require.LessOrEqual(t, n, len(b))
		require.NotZero(t, b[n-4]&0x80, "last word %x lacks the top bit", b[n-4:n])
		for i := 0; i < n-4; i += 4 {
			require.Zero(t, b[i]&0x80, "word at %d has the top bit set before the end %d", i, n)
		}
		require.Equal(t, end, n)
	})
}
