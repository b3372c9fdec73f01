package stream

import (
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"syscall"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/msgtrack"
	"github.com/spgo/sp/internal/wire"
)

// Read buffer sizes. A connection reads into a small buffer of its own while
// messages are small and sparse, and into a large pooled one while the peer
// keeps it busy: a read that fills the small buffer asks for the large one,
// and shrinkAfter reads of the large one in a row that each bring back less
// than the small one holds give it up. Over tcp and ipc the buffer is
// chosen only once bytes are ready to be read (see fillRaw), so an idle
// connection holds no large buffer, whatever its last burst was.
//
// Giving it up at the first short read made a peer whose writes hover
// around smallReadSize (a client with 5 to 8 small requests in flight a
// connection) flip between the two, and every write of it that found the
// small buffer was read in two, halving the batches a server could answer
// in one write.
const (
	smallReadSize = 512
	largeReadSize = 64 << 10
	shrinkAfter   = 8

	// directRead is the payload still missing above which the reader reads
	// straight into the message instead of through its buffer.
	directRead = largeReadSize / 2

	// firstChunk is the most readFrame allocates for a payload before its
	// bytes arrive; the message then doubles as they keep coming, so a peer
	// that claims 1 GiB and sends 10 bytes costs about 64 KiB.
	firstChunk = 64 << 10
)

var largeBufs = sync.Pool{New: func() any {
	b := make([]byte, largeReadSize)
	return &b
}}

// reader decodes frames from a connection through an adaptive buffer. It is
// used by one goroutine at a time.
type reader struct {
	src io.Reader       // the connection
	raw syscall.RawConn // src's descriptor; nil when it has none (tls)

	buf       []byte  // small[:] or *large
	large     *[]byte // held from largeBufs, or nil
	r, w      int     // buf[r:w] is read and not yet consumed
	wantLarge bool
	short     int // reads in a row into the large buffer that the small one would have held

	// The result of a raw read, and where direct reads go: the raw
	// callbacks are method values made once, so reading allocates nothing.
	dst      []byte
	n        int
	err      error
	fillFn   func(fd uintptr) bool
	directFn func(fd uintptr) bool

	// A payload a read deadline cut short (see readFrame): the message,
	// its length and how much of it has come.
	part         *sp.Message
	partN, partG int

	small [smallReadSize]byte
}

func (b *reader) init(src io.Reader) {
	b.src = src
	b.buf = b.small[:]
	if sc, ok := src.(syscall.Conn); ok && haveRawIO {
		if raw, err := sc.SyscallConn(); err == nil {
			b.raw = raw
			b.fillFn = b.fillRaw
			b.directFn = b.directRaw
		}
	}
}

// release gives the large buffer back if nothing is buffered in it.
func (b *reader) release() {
	if b.large != nil && b.r == b.w {
		largeBufs.Put(b.large)
		b.large = nil
		b.buf = b.small[:]
		b.r, b.w = 0, 0
	}
}

// choose picks the buffer for the next read while nothing is buffered.
func (b *reader) choose() {
	b.r, b.w = 0, 0
	switch {
	case b.wantLarge && b.large == nil:
		b.large = largeBufs.Get().(*[]byte)
		b.buf = *b.large
	case !b.wantLarge:
		b.release()
	}
}

// adapt updates the buffer choice after a read of n bytes into a space of
// room bytes.
func (b *reader) adapt(n, room int) {
	switch {
	case b.large == nil:
		if n == room {
			b.wantLarge, b.short = true, 0
		}
	case n >= smallReadSize:
		b.short = 0
	default:
		if b.short++; b.short >= shrinkAfter {
			b.wantLarge = false
		}
	}
}

// fill reads once into the buffer, after the bytes already buffered, which
// it moves to the front first.
func (b *reader) fill() error {
	if b.r == b.w {
		if b.raw == nil {
			b.choose()
		}
	} else if b.r > 0 {
		// Callers leave at most a frame prefix here.
		b.w = copy(b.buf, b.buf[b.r:b.w])
		b.r = 0
	}
	if b.raw != nil {
		b.err = nil
		if err := b.raw.Read(b.fillFn); err != nil {
			return err
		}
		return b.err
	}
	room := len(b.buf) - b.w
	n, err := b.src.Read(b.buf[b.w:])
	b.w += n
	b.adapt(n, room)
	if n > 0 {
		return nil
	}
	if err == nil {
		err = io.ErrNoProgress
	}
	return err
}

// fillRaw is fill's read on the file descriptor. While nothing is buffered
// it chooses the buffer only now that the descriptor is being read, and
// gives the large buffer back before the goroutine waits for bytes.
func (b *reader) fillRaw(fd uintptr) bool {
	if b.r == b.w {
		b.choose()
	}
	room := len(b.buf) - b.w
	n, done := b.readFD(fd, b.buf[b.w:])
	if !done {
		b.release()
		return false
	}
	b.w += n
	b.adapt(n, room)
	return true
}

// direct reads once straight into p, which it must not be empty; nothing
// may be buffered.
func (b *reader) direct(p []byte) (int, error) {
	if b.raw == nil {
		b.release()
		n, err := b.src.Read(p)
		if n == 0 && err == nil {
			err = io.ErrNoProgress
		}
		return n, err
	}
	b.dst, b.n, b.err = p, 0, nil
	err := b.raw.Read(b.directFn)
	b.dst = nil
	if err != nil {
		return 0, err
	}
	return b.n, b.err
}

func (b *reader) directRaw(fd uintptr) bool {
	b.release()
	n, done := b.readFD(fd, b.dst)
	b.n = n
	return done
}

// readFD reads once from fd into p, for a raw callback: done is false when
// nothing is there yet (the callback then returns false, to wait), and
// otherwise n bytes came or b.err is set (io.EOF for an orderly end).
func (b *reader) readFD(fd uintptr, p []byte) (n int, done bool) {
	for {
		n, err := sysRead(fd, p)
		switch {
		case err == syscall.EINTR:
			continue
		case err == syscall.EAGAIN:
			return 0, false
		case err != nil:
			b.err = os.NewSyscallError("read", err)
			return 0, true
		case n == 0:
			b.err = io.EOF
			return 0, true
		}
		return n, true
	}
}

// readFull fills p, from the buffer first.
func (b *reader) readFull(p []byte) error {
	got := 0
	for got < len(p) {
		if b.r == b.w {
			if err := b.fill(); err != nil {
				if err == io.EOF && got > 0 {
					err = io.ErrUnexpectedEOF
				}
				return err
			}
		}
		k := copy(p[got:], b.buf[b.r:b.w])
		b.r += k
		got += k
	}
	return nil
}

// readFrame reads one frame and returns its payload (SP header and body) in
// the Body of a new message; Header is left empty for the protocol to split
// off, and the caller owns the message.
//
// A claimed length over limit (when limit > 0), or over what any frame may
// claim, returns an error wrapping sp.ErrTooLarge before anything is
// allocated for the payload; an ipc type byte other than 0x01 one wrapping
// sp.ErrMalformed. Memory follows the bytes that arrive, not the length
// claimed: at most min(n, 64 KiB) first, then doubling as the payload keeps
// coming, so a peer that claims 1 GiB and sends 10 bytes costs about 64 KiB.
// EOF before a frame is io.EOF, inside one io.ErrUnexpectedEOF; other errors
// of the connection come as they are. On error no message is returned.
//
// A read deadline passing (an error whose Timeout reports true) loses
// nothing over a connection with a descriptor: the bytes of a frame prefix
// stay buffered, a payload's stay in its message, and the next call goes on
// where this one stopped.
func (b *reader) readFrame(ipc bool, limit int) (*sp.Message, error) {
	if b.part != nil {
		m, n, got := b.part, b.partN, b.partG
		b.part = nil
		return b.readPayload(m, n, got)
	}
	size := wire.FrameHeaderSize(ipc)
	for b.w-b.r < size {
		had := b.w - b.r
		if err := b.fill(); err != nil {
			if err == io.EOF && had > 0 {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
	}
	n, err := wire.ParsePrefix(b.buf[b.r:b.r+size], ipc)
	if err != nil {
		return nil, err
	}
	b.r += size
	if err := wire.CheckLen(n, limit); err != nil {
		return nil, err
	}
	m := sp.NewMessage(min(int(n), firstChunk))
	msgtrack.ToLibrary(m)
	return b.readPayload(m, int(n), 0)
}

// frameBuffered reports whether a whole frame is buffered.
func (b *reader) frameBuffered(ipc bool) bool {
	if b.part != nil {
		return b.partN-b.partG <= b.w-b.r
	}
	size := wire.FrameHeaderSize(ipc)
	if b.w-b.r < size {
		return false
	}
	n, err := wire.ParsePrefix(b.buf[b.r:b.r+size], ipc)
	// A malformed prefix is "ready" too: readFrame fails at once.
	return err != nil || n <= uint64(b.w-b.r-size)
}

// readPayload reads the rest of an n-byte payload into m, got bytes of
// which have come.
func (b *reader) readPayload(m *sp.Message, n, got int) (*sp.Message, error) {
	for got < n {
		if got == cap(m.Body) { // grow by doubling as the bytes arrive
			bigger := sp.NewMessage(min(n, 2*got))
			msgtrack.ToLibrary(bigger)
			bigger.Body = append(bigger.Body, m.Body[:got]...)
			m.Free()
			m = bigger
		}
		end := min(n, cap(m.Body))
		m.Body = m.Body[:end]
		if b.r < b.w {
			k := copy(m.Body[got:end], b.buf[b.r:b.w])
			b.r += k
			got += k
			continue
		}
		var err error
		if end-got >= directRead {
			var k int
			k, err = b.direct(m.Body[got:end])
			got += k
		} else {
			err = b.fill()
		}
		if err != nil {
			if b.raw != nil && isTimeout(err) {
				m.Body = m.Body[:got]
				b.part, b.partN, b.partG = m, n, got
				return nil, err
			}
			m.Free()
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
	}
	return m, nil
}

// drop forgets what is buffered and gives the large buffer back, after an
// error has ended the reading.
func (b *reader) drop() {
	if b.part != nil {
		b.part.Free()
		b.part = nil
	}
	b.r, b.w = 0, 0
	b.release()
}

// isTimeout reports whether err is a read deadline passing.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
