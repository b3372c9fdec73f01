package wire

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/spgo/sp"
)

const (
	tcpHeaderSize = 8    // u64 BE length
	ipcHeaderSize = 9    // type byte + u64 BE length
	ipcMsgType    = 0x01 // the only ipc frame type: a message

	// maxFrameLen is the largest length CheckLen accepts even without a
	// limit: it must fit in an int, and no real message comes near 1<<62.
	maxFrameLen = min(uint64(math.MaxInt), 1<<62)
)

// FrameHeaderSize returns the size of a frame's length prefix: 8 for tcp
// framing, 9 for ipc (type byte 0x01 + u64 BE length).
func FrameHeaderSize(ipc bool) int {
	if ipc {
		return ipcHeaderSize
	}
	return tcpHeaderSize
}

// AppendFrameHeader appends the length prefix for a payload of n bytes to b
// and returns the extended slice: for ipc, 0x01 then n as a u64 BE; for tcp,
// n as a u64 BE. It panics if n is negative.
func AppendFrameHeader(b []byte, ipc bool, n int) []byte {
	if n < 0 {
		panic("wire: negative frame length")
	}
	if ipc {
		b = append(b, ipcMsgType)
	}
	return binary.BigEndian.AppendUint64(b, uint64(n))
}

// ParsePrefix decodes a complete length prefix (FrameHeaderSize(ipc) bytes,
// which the caller must supply): the payload length it claims. A wrong ipc
// frame type returns an error wrapping sp.ErrMalformed.
func ParsePrefix(p []byte, ipc bool) (uint64, error) {
	if ipc {
		if p[0] != ipcMsgType {
			return 0, fmt.Errorf("%w: ipc frame type 0x%02x, want 0x%02x",
				sp.ErrMalformed, p[0], ipcMsgType)
		}
		p = p[1:]
	}
	return binary.BigEndian.Uint64(p), nil
}

// CheckLen rejects a claimed payload length that is over limit (when limit
// > 0) or over the largest length any frame may claim (1<<62, or what an int
// holds), with an error wrapping sp.ErrTooLarge.
func CheckLen(n uint64, limit int) error {
	if n > maxFrameLen {
		return fmt.Errorf("%w: frame length %d exceeds the maximum %d",
			sp.ErrTooLarge, n, maxFrameLen)
	}
	if limit > 0 && n > uint64(limit) {
		return fmt.Errorf("%w: frame length %d exceeds the limit %d",
			sp.ErrTooLarge, n, limit)
	}
	return nil
}
