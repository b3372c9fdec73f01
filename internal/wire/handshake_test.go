package wire

import (
	"fmt"
	"testing"

	"github.com/spgo/sp"
	"github.com/stretchr/testify/require"
)

func TestHandshakeRoundTrip(t *testing.T) {
	for _, proto := range []uint16{0, 0x10, 0x11, 0x20, 0x21, 0x30, 0x31, 0x50, 0x51, 0x62, 0x63, 0x70, 0x640, 0xffff} {
		t.Run(fmt.Sprintf("0x%04x", proto), func(t *testing.T) {
			b := AppendHandshake([]byte("pre"), proto)
			require.Len(t, b, 3+HandshakeSize)
			require.Equal(t, "pre", string(b[:3]))
			require.Equal(t, []byte{0, 'S', 'P', 0, byte(proto >> 8), byte(proto), 0, 0}, b[3:])
			got, err := ParseHandshake(b[3:])
			require.NoError(t, err)
			require.Equal(t, proto, got, "got 0x%x, want 0x%x", got, proto)
		})
	}
}

func TestParseHandshakeIgnoresTrailingBytes(t *testing.T) {
	b := append(AppendHandshake(nil, 0x31), 0xff, 0xff)
	got, err := ParseHandshake(b)
	require.NoError(t, err)
	require.Equal(t, uint16(0x31), got)
}

func TestParseHandshakeBad(t *testing.T) {
	good := AppendHandshake(nil, 0x30)
	with := func(i int, v byte) []byte {
		b := append([]byte(nil), good...)
		b[i] = v
		return b
	}
	tests := []struct {
		name string
		in   []byte
		want string // part of the error message
	}{
		{"empty", nil, "short handshake: got 0 bytes, want 8"},
		{"seven bytes", good[:7], "short handshake: got 7 bytes, want 8"},
		{"first byte", with(0, 1), "not an SP handshake: got signature 01 53 50"},
		{"S", with(1, 's'), "not an SP handshake: got signature 00 73 50"},
		{"P", with(2, 'Q'), "not an SP handshake: got signature 00 53 51"},
		{"http", []byte("GET / HTTP/1.1\r\n"), "not an SP handshake"},
		{"version", with(3, 1), "unsupported SP version 1, want 0"},
		{"reserved 6", with(6, 0x80), "reserved handshake bytes are 80 00, want 00 00"},
		{"reserved 7", with(7, 1), "reserved handshake bytes are 00 01, want 00 00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			proto, err := ParseHandshake(tt.in)
			require.ErrorIs(t, err, sp.ErrBadProtocol)
			require.ErrorContains(t, err, tt.want)
			require.Zero(t, proto)
		})
	}
}
