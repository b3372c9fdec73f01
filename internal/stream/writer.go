package stream

import (
	"encoding/binary"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/wire"
)

// writeBufferSize is the size of a connection's write buffer. Writes are
// batched by the engine: a pipe's writer sends every queued message and then
// flushes once; the write buffer is taken from a pool for the batch and
// given back after the flush, so an idle connection holds none. (Reads go
// through an adaptive buffer: see reader.)
const writeBufferSize = 64 << 10

var writeBufs = sync.Pool{New: func() any {
	b := make([]byte, 0, writeBufferSize)
	return &b
}}

// writer buffers frames for a connection. Its methods are called by one
// goroutine at a time.
//
// It counts the messages, and their bytes (header and body), whose frames
// it has written out whole: a write cut short (by a close, say) counts the
// frames it carried whole, found by walking the frame prefixes. A frame
// whose start went out by sendNow and whose rest waits in the buffer is the
// buffer's head.
type writer struct {
	dst net.Conn
	ipc bool
	raw syscall.RawConn // dst's descriptor, for writes that must not wait; nil when it has none (tls)

	pendMsgs, pendBytes int // the frames in buf, the head's included
	head, headBytes     int // the head's bytes in buf, and its message's size; 0 when none
	sentMsgs, sentBytes atomic.Uint64

	buf *[]byte   // held from writeBufs while frames are buffered, or nil
	vec [2][]byte // backing of big, for a frame too large for the buffer
	big net.Buffers
	pre [9]byte

	// The result of a raw write: the callback is a method value made once,
	// so writing allocates nothing.
	n      int
	err    error
	tryFn  func(fd uintptr) bool
	tryDst []byte
}

func (w *writer) init(dst net.Conn, raw syscall.RawConn, ipc bool) {
	w.dst = dst
	w.raw = raw
	w.ipc = ipc
	if raw != nil {
		w.tryFn = w.tryRaw
	}
}

// send buffers m's frame, writing out what is buffered first when the frame
// does not fit, and frees m. A frame larger than the whole buffer is written
// at once, after what is buffered, in one gathered write.
func (w *writer) send(m *sp.Message, ipc bool) error {
	defer m.Free()
	pre := wire.AppendFrameHeader(w.pre[:0], ipc, len(m.Header)+len(m.Body))
	size := len(pre) + len(m.Header) + len(m.Body)
	if w.buf == nil {
		w.buf = writeBufs.Get().(*[]byte)
	}
	b := *w.buf
	if len(b)+size > cap(b) && size <= cap(b) {
		if err := w.flush(); err != nil {
			return err
		}
		w.buf = writeBufs.Get().(*[]byte)
		b = *w.buf
	}
	b = append(b, pre...)
	b = append(b, m.Header...)
	w.pendMsgs++
	w.pendBytes += len(m.Header) + len(m.Body)
	if size > cap(*w.buf) {
		// The buffer (now holding the header) and the body go out
		// together, after whatever was buffered.
		w.big = append(w.vec[:0], b, m.Body)
		*w.buf = b
		n, err := w.big.WriteTo(w.dst)
		w.vec = [2][]byte{}
		w.wrote(b, int(n), err)
		w.release()
		return err
	}
	*w.buf = append(b, m.Body...)
	return nil
}

// wrote counts what a write of the n first bytes of buf (and, past its
// end, the body of a frame too large for it) carried out: every frame
// when it succeeded, else the frames n covers whole.
func (w *writer) wrote(buf []byte, n int, err error) {
	msgs, bytes := w.pendMsgs, w.pendBytes
	if err != nil {
		msgs, bytes = w.covered(buf, n)
	}
	if msgs > 0 {
		w.sentMsgs.Add(uint64(msgs))
		w.sentBytes.Add(uint64(bytes))
	}
}

// covered returns the frames, and their messages' bytes, that the first n
// bytes of buf hold whole (a frame's body may lie past buf's end).
func (w *writer) covered(buf []byte, n int) (msgs, bytes int) {
	pos := w.head
	if pos > 0 {
		if n < pos {
			return 0, 0
		}
		msgs, bytes = 1, w.headBytes
	}
	hs := wire.FrameHeaderSize(w.ipc)
	for pos+hs <= len(buf) {
		size := int(binary.BigEndian.Uint64(buf[pos+hs-8 : pos+hs]))
		if pos+hs+size > n {
			break
		}
		msgs++
		bytes += size
		pos += hs + size
	}
	return msgs, bytes
}

// sentCounts returns the messages, and bytes, written out.
func (w *writer) sentCounts() (msgs, bytes uint64) {
	return w.sentMsgs.Load(), w.sentBytes.Load()
}

// flush writes out what is buffered, waiting as long as it takes, and gives
// the buffer back.
func (w *writer) flush() error {
	if w.buf == nil {
		return nil
	}
	var err error
	if len(*w.buf) > 0 {
		var n int
		n, err = w.dst.Write(*w.buf)
		w.wrote(*w.buf, n, err)
	}
	w.release()
	return err
}

// release gives the buffer back; what it held is counted or lost.
func (w *writer) release() {
	*w.buf = (*w.buf)[:0]
	writeBufs.Put(w.buf)
	w.buf = nil
	w.pendMsgs, w.pendBytes, w.head, w.headBytes = 0, 0, 0, 0
}

// sendNow writes m's frame at once if nothing is buffered, without waiting
// for the connection: what the socket does not take at once stays buffered
// for the next flush, and more says so. It does not take m (taken false)
// when bytes are already buffered, when the connection has no descriptor to
// write to without waiting, or when m's frame is larger than the buffer.
func (w *writer) sendNow(m *sp.Message, ipc bool) (taken, more bool, err error) {
	if w.raw == nil || w.buf != nil ||
		wire.FrameHeaderSize(ipc)+len(m.Header)+len(m.Body) > writeBufferSize {
		return false, false, nil
	}
	size := len(m.Header) + len(m.Body) // m is freed once sent
	if err := w.send(m, ipc); err != nil {
		return true, false, err
	}
	b := *w.buf
	w.tryDst, w.n, w.err = b, 0, nil
	err = w.raw.Write(w.tryFn)
	w.tryDst = nil
	if err == nil {
		err = w.err
	}
	if err != nil {
		w.wrote(b, w.n, err)
		w.release()
		return true, false, err
	}
	if w.n == len(b) {
		w.wrote(b, w.n, nil)
		w.release()
		return true, false, nil
	}
	// The frame's rest waits in the buffer, its head, for the next flush.
	*w.buf = b[:copy(b, b[w.n:])]
	w.head, w.headBytes = len(*w.buf), size
	return true, true, nil
}

// tryRaw writes once without waiting: on EAGAIN nothing is written.
func (w *writer) tryRaw(fd uintptr) bool {
	for {
		n, err := sysWrite(fd, w.tryDst)
		switch {
		case err == syscall.EINTR:
			continue
		case err == syscall.EAGAIN:
			w.n = 0
		case err != nil:
			w.err = os.NewSyscallError("write", err)
		default:
			w.n = n
		}
		return true
	}
}
