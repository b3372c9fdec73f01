package zt

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/spgo/sp"
)

// EtherType is the Ethernet type of SP over ZeroTier frames.
const EtherType = 0x0901

// Frame ops of sp-zerotier-v0.
const (
	opData    = 0x00
	opConnReq = 0x10
	opConnAck = 0x12
	opDisc    = 0x20
	opPing    = 0x30
	opPong    = 0x32
	opErr     = 0x40
)

// Error codes of an ERR frame.
const (
	errRefused   = 1
	errNoSession = 2
	errProto     = 3
	errProtoErr  = 4
	errTooBig    = 5
	errOther     = 0xff
)

const (
	version      = 1
	headerSize   = 12 // op flags version(2) reserved dst(3) reserved src(3)
	connSize     = headerSize + 2
	dataOffset   = headerSize + 8 // msgid fragsize fragno nfrags
	errMinSize   = headerSize + 1
	maxErrText   = 128
	minFrameSize = dataOffset + 1 // the smallest MTU that carries data
)

// errFrame reports a frame that breaks sp-zerotier-v0.
var errFrame = fmt.Errorf("%w: bad zt frame", sp.ErrMalformed)

// header is the 12-byte header every frame starts with.
type header struct {
	op       byte
	dst, src uint32 // 24-bit ports
}

// appendHeader appends the header of a frame to b.
func appendHeader(b []byte, h header) []byte {
	return append(b, h.op, 0, 0, version,
		0, byte(h.dst>>16), byte(h.dst>>8), byte(h.dst),
		0, byte(h.src>>16), byte(h.src>>8), byte(h.src))
}

// parseHeader decodes the header at the start of b. Flags and reserved
// bytes are ignored; the version must be 1 and the ports non-zero.
func parseHeader(b []byte) (header, error) {
	if len(b) < headerSize {
		return header{}, fmt.Errorf("%w: %d bytes, shorter than a header", errFrame, len(b))
	}
	if v := binary.BigEndian.Uint16(b[2:]); v != version {
		return header{}, fmt.Errorf("%w: version %d, want %d", errFrame, v, version)
	}
	h := header{
		op:  b[0],
		dst: uint32(b[5])<<16 | uint32(b[6])<<8 | uint32(b[7]),
		src: uint32(b[9])<<16 | uint32(b[10])<<8 | uint32(b[11]),
	}
	if h.dst == 0 || h.src == 0 {
		return header{}, fmt.Errorf("%w: port 0", errFrame)
	}
	return h, nil
}

// appendConn appends a CONN-REQ or CONN-ACK frame carrying proto.
func appendConn(b []byte, h header, proto uint16) []byte {
	return binary.BigEndian.AppendUint16(appendHeader(b, h), proto)
}

// parseConn returns the protocol id of a CONN-REQ or CONN-ACK frame.
// Trailing bytes (Ethernet padding) are ignored.
func parseConn(b []byte) (uint16, error) {
	if len(b) < connSize {
		return 0, fmt.Errorf("%w: connection frame of %d bytes, want %d", errFrame, len(b), connSize)
	}
	return binary.BigEndian.Uint16(b[headerSize:]), nil
}

// frag is the part of a DATA frame after the header.
type frag struct {
	msgID, fragSize, fragNo, nFrags uint16
}

// appendData appends a DATA frame with payload p.
func appendData(b []byte, h header, f frag, p []byte) []byte {
	b = appendHeader(b, h)
	b = binary.BigEndian.AppendUint16(b, f.msgID)
	b = binary.BigEndian.AppendUint16(b, f.fragSize)
	b = binary.BigEndian.AppendUint16(b, f.fragNo)
	b = binary.BigEndian.AppendUint16(b, f.nFrags)
	return append(b, p...)
}

// parseData decodes a DATA frame: its fragment fields and its payload (a
// slice of b). It checks what one frame can show: a fragment number below
// the count, a payload of exactly fragSize bytes in every fragment but the
// last, and no more than fragSize in the last.
func parseData(b []byte) (frag, []byte, error) {
	if len(b) < dataOffset {
		return frag{}, nil, fmt.Errorf("%w: data frame of %d bytes, want at least %d", errFrame, len(b), dataOffset)
	}
	f := frag{
		msgID:    binary.BigEndian.Uint16(b[12:]),
		fragSize: binary.BigEndian.Uint16(b[14:]),
		fragNo:   binary.BigEndian.Uint16(b[16:]),
		nFrags:   binary.BigEndian.Uint16(b[18:]),
	}
	p := b[dataOffset:]
	switch {
	case f.nFrags == 0 || f.fragNo >= f.nFrags:
		return frag{}, nil, fmt.Errorf("%w: fragment %d of %d", errFrame, f.fragNo, f.nFrags)
	case f.fragSize == 0 && f.nFrags > 1:
		return frag{}, nil, fmt.Errorf("%w: fragment size 0 in a message of %d fragments", errFrame, f.nFrags)
	case f.fragNo < f.nFrags-1 && len(p) != int(f.fragSize):
		return frag{}, nil, fmt.Errorf("%w: fragment %d of %d has %d bytes, want %d", errFrame, f.fragNo, f.nFrags, len(p), f.fragSize)
	case len(p) > int(f.fragSize):
		return frag{}, nil, fmt.Errorf("%w: last fragment has %d bytes, more than the fragment size %d", errFrame, len(p), f.fragSize)
	}
	return f, p, nil
}

// appendErr appends an ERR frame with code and text (cut to 128 bytes,
// non-ASCII bytes replaced by '?').
func appendErr(b []byte, h header, code byte, text string) []byte {
	b = append(appendHeader(b, h), code)
	if len(text) > maxErrText {
		text = text[:maxErrText]
	}
	for i := range len(text) {
		c := text[i]
		if c < 0x20 || c > 0x7e {
			c = '?'
		}
		b = append(b, c)
	}
	return b
}

// parseErr decodes an ERR frame: its code and text. Text beyond 128
// bytes, trailing NULs (padding) and non-printable bytes are dropped.
func parseErr(b []byte) (byte, string, error) {
	if len(b) < errMinSize {
		return 0, "", fmt.Errorf("%w: error frame of %d bytes, want at least %d", errFrame, len(b), errMinSize)
	}
	t := b[errMinSize:]
	if len(t) > maxErrText {
		t = t[:maxErrText]
	}
	out := make([]byte, 0, len(t))
	for _, c := range t {
		if c == 0 {
			break
		}
		if c >= 0x20 && c <= 0x7e {
			out = append(out, c)
		}
	}
	return b[headerSize], string(out), nil
}

// peerError turns a received ERR frame into an error.
func peerError(code byte, text string) error {
	var base error
	switch code {
	case errRefused:
		base = sp.ErrConnRefused
	case errNoSession:
		base = sp.ErrClosed
	case errProto:
		base = sp.ErrBadProtocol
	case errProtoErr:
		base = sp.ErrMalformed
	case errTooBig:
		base = sp.ErrTooLarge
	default:
		base = errors.New("zt: peer error")
	}
	return fmt.Errorf("%w: peer sent error %d %q", base, code, text)
}
