package wire

import (
	"bufio"
	"io"

	"github.com/spgo/sp"
)

// firstChunk is the most ReadFrame allocates before any payload byte has
// arrived; the buffer then doubles as bytes keep coming.
const firstChunk = 64 << 10

// ReadFrame reads one frame from r and returns its payload (SP header and
// body, all of it) in the Body of a new message; Header is left empty for the
// protocol to split off. The caller owns the message.
//
// limit is the maximum payload size; limit <= 0 means unlimited. A claimed
// length over limit, or one over 1<<62 or too large for an int, returns an
// error wrapping sp.ErrTooLarge before anything is allocated for the payload.
// For ipc, a type byte other than 0x01 returns an error wrapping
// sp.ErrMalformed.
//
// Memory follows the bytes that arrive, not the length claimed: ReadFrame
// first allocates at most min(n, 64 KiB) and then doubles its buffer as the
// payload keeps coming, so a peer that claims 1 GiB and sends 10 bytes costs
// about 64 KiB.
//
// EOF before the first byte of a frame returns io.EOF; EOF in the middle of a
// frame returns io.ErrUnexpectedEOF. Other errors of r are returned as they
// are. On error no message is returned (a partly filled one is freed).
//
// When r is a *bufio.Reader, as it normally is, ReadFrame makes no
// allocation besides the pooled message; any other reader costs one small
// allocation more, for the prefix.
func ReadFrame(r io.Reader, ipc bool, limit int) (*sp.Message, error) {
	n, err := readPrefix(r, ipc)
	if err != nil {
		return nil, err
	}
	if err := checkLen(n, limit); err != nil {
		return nil, err
	}
	return readPayload(r, int(n))
}

// readPrefix reads and decodes a frame's length prefix. From a *bufio.Reader
// it peeks, so that no buffer escapes to the heap.
func readPrefix(r io.Reader, ipc bool) (uint64, error) {
	size := FrameHeaderSize(ipc)
	br, ok := r.(*bufio.Reader)
	if !ok {
		return readPrefixFull(r, ipc, size)
	}
	p, err := br.Peek(size)
	if err != nil {
		if err == io.EOF && len(p) > 0 {
			err = io.ErrUnexpectedEOF
		}
		return 0, err
	}
	n, err := parsePrefix(p, ipc)
	_, _ = br.Discard(size) // cannot fail: size bytes are buffered
	return n, err
}

// readPrefixFull reads the prefix from any reader with io.ReadFull. Its
// buffer escapes through the interface call, costing one small allocation.
func readPrefixFull(r io.Reader, ipc bool, size int) (uint64, error) {
	var buf [ipcHeaderSize]byte
	if _, err := io.ReadFull(r, buf[:size]); err != nil {
		return 0, err
	}
	return parsePrefix(buf[:size], ipc)
}

// readPayload reads n payload bytes into a pooled message, growing it by
// doubling as the bytes arrive.
func readPayload(r io.Reader, n int) (*sp.Message, error) {
	m := sp.NewMessage(min(n, firstChunk))
	got := 0
	for {
		end := min(n, cap(m.Body))
		m.Body = m.Body[:end]
		k, err := io.ReadFull(r, m.Body[got:end])
		got += k
		if err != nil {
			m.Free()
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
		if got == n {
			return m, nil
		}
		next := n
		if c := cap(m.Body); c <= n/2 {
			next = 2 * c
		}
		bigger := sp.NewMessage(next)
		bigger.Body = append(bigger.Body, m.Body...)
		m.Free()
		m = bigger
	}
}
