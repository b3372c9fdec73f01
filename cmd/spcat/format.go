package main

import (
	"encoding/binary"
	"fmt"
)

// formatMsg returns what nngcat prints for a received message body in the
// named format ("" and "no" print nothing):
//
//	raw      the bytes as they are, nothing around them
//	ascii    printable ASCII (0x20..0x7e) as is, every other byte as '.', and
//	         no newline (nngcat 1.5.2 runs messages together; so does spcat)
//	quoted   "..." and a newline; \n \r \t \" \\ escaped as in C, other
//	         unprintable bytes as \xNN (lower-case hex)
//	hex      "..." and a newline, every byte as \xNN
//	msgpack  a msgpack bin 8/16/32 header (c4 len8, c5 len16, c6 len32,
//	         big-endian), then the bytes
func formatMsg(format string, b []byte) []byte {
	switch format {
	case "raw":
		return append([]byte(nil), b...)
	case "ascii":
		out := make([]byte, len(b))
		for i, c := range b {
			if printable(c) {
				out[i] = c
			} else {
				out[i] = '.'
			}
		}
		return out
	case "quoted":
		out := make([]byte, 0, len(b)+3)
		out = append(out, '"')
		for _, c := range b {
			switch c {
			case '\n':
				out = append(out, '\\', 'n')
			case '\r':
				out = append(out, '\\', 'r')
			case '\t':
				out = append(out, '\\', 't')
			case '"':
				out = append(out, '\\', '"')
			case '\\':
				out = append(out, '\\', '\\')
			default:
				if printable(c) {
					out = append(out, c)
				} else {
					out = fmt.Appendf(out, "\\x%02x", c)
				}
			}
		}
		return append(out, '"', '\n')
	case "hex":
		out := make([]byte, 0, 4*len(b)+3)
		out = append(out, '"')
		for _, c := range b {
			out = fmt.Appendf(out, "\\x%02x", c)
		}
		return append(out, '"', '\n')
	case "msgpack":
		var out []byte
		switch n := len(b); {
		case n < 1<<8:
			out = append(out, 0xc4, byte(n))
		case n < 1<<16:
			out = binary.BigEndian.AppendUint16(append(out, 0xc5), uint16(n))
		default:
			out = binary.BigEndian.AppendUint32(append(out, 0xc6), uint32(n))
		}
		return append(out, b...)
	}
	return nil
}

// printable reports whether C's isprint is true for c in the C locale.
func printable(c byte) bool { return c >= 0x20 && c < 0x7f }
