package stream

import (
	"os"
	"syscall"
	"time"
	"unsafe"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/wire"
)

// SendNow is the engine's fast path for a pipe with nothing queued and
// nothing being written: it writes m's frame in the caller's goroutine, with
// one writev on the descriptor that never waits, instead of handing m to the
// pipe's writer goroutine (a hand-off and a wake-up less on the way of a
// request, a reply or an event now and then). It reports false, leaving m
// to the caller, when the connection has no descriptor (tls), when part of
// an earlier frame still waits, or when the connection wrote less than
// idleGap ago: it is streaming, and the writer's batches, many messages to a
// system call, serve it better.
//
// Otherwise it owns m. If the socket took only part of the frame, the rest
// is kept (m with it) and flushed reports false: the next Send or Flush
// writes it first, waiting as they do. Like Send, SendNow must not run
// concurrently with Send or Flush.
func (c *Conn) SendNow(m *sp.Message) (taken, flushed bool, err error) {
	if c.wraw == nil || c.w != nil || c.rest.m != nil || monoNow()-c.lastWrite < idleGap {
		return false, false, nil
	}
	c.rest.pre = wire.AppendFrameHeader(c.rest.preBuf[:0], c.ipc, len(m.Header)+len(m.Body))
	c.rest.m = m
	c.now.n, c.now.err = 0, nil
	err = c.wraw.Write(c.writeNowFn)
	if err == nil {
		err = c.now.err
	}
	c.lastWrite = monoNow()
	if err != nil {
		c.rest.drop()
		return true, false, err
	}
	if c.rest.advance(c.now.n) {
		return true, true, nil
	}
	return true, false, nil
}

// rest is the part of a frame that SendNow could not write at once.
type rest struct {
	preBuf [9]byte
	pre    []byte      // what is left of the length prefix
	m      *sp.Message // the message, or nil when nothing is left
	hdr    []byte      // what is left of m.Header
	body   []byte      // what is left of m.Body
}

// parts returns what is left, in order.
func (r *rest) parts() [3][]byte {
	if r.hdr == nil && r.body == nil && r.m != nil {
		return [3][]byte{r.pre, r.m.Header, r.m.Body}
	}
	return [3][]byte{r.pre, r.hdr, r.body}
}

// advance drops n written bytes from the front and reports whether nothing
// is left (m is then freed).
func (r *rest) advance(n int) bool {
	p := r.parts()
	for i := range p {
		k := min(n, len(p[i]))
		p[i] = p[i][k:]
		n -= k
	}
	r.pre, r.hdr, r.body = p[0], p[1], p[2]
	if len(r.pre)+len(r.hdr)+len(r.body) == 0 {
		r.drop()
		return true
	}
	if r.hdr == nil {
		r.hdr = []byte{} // mark hdr and body as set
	}
	if r.body == nil {
		r.body = []byte{}
	}
	return false
}

// drop forgets what is left and frees the message.
func (r *rest) drop() {
	if r.m != nil {
		r.m.Free()
	}
	r.m, r.pre, r.hdr, r.body = nil, nil, nil, nil
}

// writeRest writes what SendNow left, waiting for the socket.
func (c *Conn) writeRest() error {
	if c.rest.m == nil {
		return nil
	}
	for _, b := range c.rest.parts() {
		if len(b) > 0 {
			if _, err := c.c.Write(b); err != nil {
				c.rest.drop()
				return err
			}
		}
	}
	c.rest.drop()
	return nil
}

// nowState is the result of writeNow, kept in the Conn so that the raw
// callback, a method value made once, allocates nothing.
type nowState struct {
	n   int
	err error
}

// writeNow is SendNow's writev: one attempt, never waiting for room.
func (c *Conn) writeNow(fd uintptr) bool {
	var iov [3]syscall.Iovec
	k := 0
	for _, b := range c.rest.parts() {
		if len(b) > 0 {
			iov[k].Base = &b[0]
			iov[k].SetLen(len(b))
			k++
		}
	}
	for {
		n, _, errno := syscall.Syscall(syscall.SYS_WRITEV, fd, uintptr(unsafe.Pointer(&iov[0])), uintptr(k))
		switch errno {
		case 0:
			c.now.n = int(n)
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			c.now.n = 0
		default:
			c.now.err = os.NewSyscallError("writev", errno)
		}
		return true
	}
}

// idleGap is how long a connection must have written nothing before
// SendNow writes to it directly.
const idleGap = 5 * time.Microsecond

var monoStart = time.Now()

// monoNow is a monotonic clock reading, cheaper than time.Now.
func monoNow() time.Duration { return time.Since(monoStart) }
