package udp

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/spgo/sp"
)

func TestParseHeader(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want header
		rest []byte
		err  error
	}{
		{"empty", nil, header{}, nil, errShort},
		{"seven bytes", []byte{1, 0, 0x10, 0, 0, 0, 0}, header{}, nil, errShort},
		{"version 0", []byte{0, 0, 0x10, 0, 0, 0, 0, 0}, header{}, nil, errVersion},
		{"version 2", []byte{2, 1, 0x10, 0, 0, 0, 0, 0}, header{}, nil, errVersion},
		{"CREQ from pull", []byte{1, 1, 0x51, 0, 0xe8, 0xfd, 1, 0}, header{op: opCREQ, proto: 0x51, p0: 65000, p1: 1}, []byte{}, nil},
		{"CACK from push", []byte{1, 2, 0x50, 0, 0x00, 0x04, 5, 0}, header{op: opCACK, proto: 0x50, p0: 1024, p1: 5}, []byte{}, nil},
		{"DISC type", []byte{1, 3, 0x10, 0, 1, 0, 0, 0}, header{op: opDISC, proto: 0x10, p0: discType}, []byte{}, nil},
		{"DATA hello", append([]byte{1, 0, 0x11, 0, 5, 0, 0xaa, 0xbb}, "hello"...), header{op: opData, proto: 0x11, p0: 5, p1: 0xbbaa}, []byte("hello"), nil},
		{"star protocol id", []byte{1, 0, 0x40, 0x06, 0, 0, 0, 0}, header{op: opData, proto: 0x640}, []byte{}, nil},
		{"unknown opcode", []byte{1, 9, 0, 0, 0, 0, 0, 0}, header{op: 9}, []byte{}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, rest, err := parseHeader(tt.in)
			if tt.err != nil {
				require.ErrorIs(t, err, tt.err, "parseHeader(% x): got error %v, want %v", tt.in, err, tt.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, h, "parseHeader(% x): got %+v, want %+v", tt.in, h, tt.want)
			require.Equal(t, tt.rest, rest, "rest: got % x, want % x", rest, tt.rest)
			if b := appendHeader(nil, h); !bytes.Equal(b, tt.in[:headerLen]) {
				t.Errorf("appendHeader(%+v): got % x, want % x", h, b, tt.in[:headerLen])
			}
		})
	}
}

func TestDataPayload(t *testing.T) {
	tests := []struct {
		name  string
		n     uint16
		rest  string
		limit int
		want  string
		err   error
	}{
		{"exact", 5, "hello", 100, "hello", nil},
		{"trailing bytes ignored", 2, "hello", 100, "he", nil},
		{"empty", 0, "", 100, "", nil},
		{"at the limit", 5, "hello", 5, "hello", nil},
		{"over the limit", 5, "hello", 4, "", sp.ErrTooLarge},
		{"truncated", 6, "hello", 100, "", sp.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := dataPayload(header{op: opData, p0: tt.n}, []byte(tt.rest), tt.limit)
			if tt.err != nil {
				require.ErrorIs(t, err, tt.err, "got error %v, want one wrapping %v", err, tt.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, string(p), "got %q, want %q", p, tt.want)
		})
	}
}

func TestSeconds(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want uint16
	}{{"1ns", 1}, {"200ms", 1}, {"1s", 1}, {"1.001s", 2}, {"5s", 5}, {"18h12m15s", 65535}, {"100000h", 65535}} {
		t.Run(tt.in, func(t *testing.T) {
			d, err := time.ParseDuration(tt.in)
			require.NoError(t, err)
			require.Equal(t, tt.want, seconds(d), "seconds(%v): got %d, want %d", d, seconds(d), tt.want)
		})
	}
}

func TestDiscError(t *testing.T) {
	tests := []struct {
		reason uint16
		is     error
		text   string
	}{
		{discClosed, io.EOF, "closed (DISC 0)"},
		{discType, sp.ErrBadProtocol, "wrong protocol (DISC 1)"},
		{discRefused, sp.ErrConnRefused, "refused (DISC 3)"},
		{discMsgSize, nil, "message too large (DISC 4)"},
		{discNoBuf, sp.ErrConnRefused, "no resources (DISC 8)"},
		{2, nil, "unknown reason (DISC 2)"},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			err := &DiscError{Reason: tt.reason}
			require.Contains(t, err.Error(), tt.text)
			if tt.is != nil {
				require.ErrorIs(t, err, tt.is)
			}
			for _, other := range []error{io.EOF, sp.ErrBadProtocol, sp.ErrConnRefused, sp.ErrTooLarge} {
				if other != tt.is && errors.Is(err, other) {
					t.Errorf("DISC %d matches %v, want it not to", tt.reason, other)
				}
			}
		})
	}
}

// FuzzHeader checks that the decoder never panics, that what it accepts
// encodes back to the same 8 bytes, and that a DATA payload it returns is
// within the datagram and the limit.
func FuzzHeader(f *testing.F) {
	f.Add([]byte{1, 1, 0x51, 0, 0xe8, 0xfd, 1, 0}, 65000)
	f.Add(append([]byte{1, 0, 0x10, 0, 5, 0, 0, 0}, "hello"...), 100)
	f.Add([]byte{1, 0, 0x10, 0, 0xff, 0xff, 0, 0}, 65000)
	f.Add([]byte{1, 3, 0x10, 0, 4, 0, 0, 0}, 0)
	f.Add([]byte{2, 0, 0, 0, 0, 0, 0, 0}, 10)
	f.Add([]byte{1, 0}, 10)
	f.Fuzz(func(t *testing.T, b []byte, limit int) {
		h, rest, err := parseHeader(b)
		if err != nil {
			return
		}
		if enc := appendHeader(nil, h); !bytes.Equal(enc, b[:headerLen]) {
			t.Fatalf("parseHeader(% x) = %+v, which encodes as % x", b[:headerLen], h, enc)
		}
		if len(rest) != len(b)-headerLen {
			t.Fatalf("rest: got %d bytes, want %d", len(rest), len(b)-headerLen)
		}
		p, err := dataPayload(h, rest, limit)
		if err != nil {
			return
		}
		if len(p) != int(h.p0) || len(p) > len(rest) || len(p) > limit {
			t.Fatalf("dataPayload: got %d bytes for length %d, %d in the datagram, limit %d", len(p), h.p0, len(rest), limit)
		}
	})
}
