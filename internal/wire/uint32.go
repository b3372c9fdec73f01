package wire

import "encoding/binary"

// AppendUint32 appends v to b as 4 big-endian bytes, the unit of SP headers
// (backtrace words, hop counts), and returns the extended slice.
func AppendUint32(b []byte, v uint32) []byte {
	return binary.BigEndian.AppendUint32(b, v)
}

// Uint32 decodes the big-endian word at the start of b. It panics if b is
// shorter than 4 bytes.
func Uint32(b []byte) uint32 {
	return binary.BigEndian.Uint32(b)
}
