package udp

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/spgo/sp"
)

// headerLen is the size of the header that starts every datagram.
const headerLen = 8

// version is the only header version there is.
const version = 1

// maxPayload is the largest message (SP header and body) one datagram
// carries, and the largest receive limit a connection advertises: nng's
// NNG_UDP_RECVMAX.
const maxPayload = 65000

// opcode says what a datagram is.
type opcode uint8

// Opcodes, as nng's udp.c numbers them.
const (
	opData opcode = 0 // a message: p0 is its length
	opCREQ opcode = 1 // connection request or refresh: p0 receive max, p1 refresh (s)
	opCACK opcode = 2 // connection acknowledgement: as CREQ
	opDISC opcode = 3 // disconnect: p0 is the reason
	opMesh opcode = 4 // reserved by nng (unimplemented there): answered with DISC 7
)

func (o opcode) String() string {
	switch o {
	case opData:
		return "DATA"
	case opCREQ:
		return "CREQ"
	case opCACK:
		return "CACK"
	case opDISC:
		return "DISC"
	case opMesh:
		return "MESH"
	}
	return fmt.Sprintf("opcode %d", uint8(o))
}

// Disconnect reasons, carried by DISC in p0. Reason 2 is unused.
const (
	discClosed   = 0 // normal close
	discType     = 1 // the peer's protocol is not our peer
	discRefused  = 3 // refused by policy (a dialer asked to accept)
	discMsgSize  = 4 // a message over the receive limit, or truncated
	discNego     = 5 // negotiation failed (a refresh of 0)
	discInactive = 6 // nothing heard for five refresh intervals
	discProto    = 7 // any other protocol error (an unknown opcode)
	discNoBuf    = 8 // resources exhausted (the peer limit)
)

var discNames = map[uint16]string{
	discClosed:   "closed",
	discType:     "wrong protocol",
	discRefused:  "refused",
	discMsgSize:  "message too large",
	discNego:     "negotiation failed",
	discInactive: "inactive",
	discProto:    "protocol error",
	discNoBuf:    "no resources",
}

// header is the 8-byte header of every datagram: version (1), opcode,
// the sender's SP protocol id, then two parameters whose meaning depends
// on the opcode. The three 16-bit fields are little-endian.
type header struct {
	op    opcode
	proto uint16 // the sender's protocol id
	p0    uint16 // DATA: length; CREQ, CACK: receive max; DISC: reason
	p1    uint16 // CREQ, CACK: refresh in seconds; DATA: ignored; DISC: 0
}

// Errors of parseHeader.
var (
	errShort   = errors.New("udp: datagram shorter than the 8-byte header")
	errVersion = errors.New("udp: header version is not 1")
)

// appendHeader appends h's 8 bytes to b.
func appendHeader(b []byte, h header) []byte {
	b = append(b, version, byte(h.op))
	b = binary.LittleEndian.AppendUint16(b, h.proto)
	b = binary.LittleEndian.AppendUint16(b, h.p0)
	return binary.LittleEndian.AppendUint16(b, h.p1)
}

// parseHeader decodes the header at the start of a datagram and returns
// it with the rest of the datagram. It checks the length and the version
// only: what an opcode's parameters mean is for the receiver to judge.
func parseHeader(b []byte) (header, []byte, error) {
	if len(b) < headerLen {
		return header{}, nil, errShort
	}
	if b[0] != version {
		return header{}, nil, errVersion
	}
	return header{
		op:    opcode(b[1]),
		proto: binary.LittleEndian.Uint16(b[2:]),
		p0:    binary.LittleEndian.Uint16(b[4:]),
		p1:    binary.LittleEndian.Uint16(b[6:]),
	}, b[headerLen:], nil
}

// dataPayload returns the message a DATA datagram carries: the first
// h.p0 bytes after the header (bytes past them are ignored, as nng does).
// A length over what the datagram holds is an error wrapping
// sp.ErrMalformed, one over limit an error wrapping sp.ErrTooLarge.
func dataPayload(h header, rest []byte, limit int) ([]byte, error) {
	n := int(h.p0)
	if n > len(rest) {
		return nil, fmt.Errorf("%w: udp: DATA claims %d bytes, the datagram holds %d", sp.ErrMalformed, n, len(rest))
	}
	if n > limit {
		return nil, fmt.Errorf("%w: udp: %d bytes, the receive limit is %d", sp.ErrTooLarge, n, limit)
	}
	return rest[:n], nil
}
