// Package wire encodes and decodes the byte-level parts of the Scalability
// Protocols (SP) wire format shared by the stream transports (tcp, ipc, tls):
// the 8-byte connection handshake, the length-prefixed frame, the big-endian
// words of a request/survey backtrace, and the hop count header of pair v1
// and star.
//
// A stream connection starts with both sides sending
//
//	00 'S' 'P' 00 <protocol id, u16 big-endian> 00 00
//
// and then carries one frame per message: a u64 big-endian payload length
// (preceded by the type byte 0x01 on ipc) followed by the payload, which is
// the SP protocol header and then the body.
//
// The decoders treat their input as hostile: a length prefix is a claim, not a
// fact, so CheckLen holds it against a limit before anything is allocated
// for it (internal/stream's frame reader then grows its buffer only as the
// bytes actually arrive).
package wire
