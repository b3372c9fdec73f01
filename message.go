package sp

import (
	"math/bits"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/spgo/sp/internal/msgtrack"
)

// Message is one SP message: a protocol Header (a backtrace, a hop count, or
// nothing) and the application Body. On the wire they travel as one frame,
// header first.
//
// Messages are pooled. SendMsg takes ownership of the message it is given: the
// caller must not touch it afterwards. RecvMsg gives ownership of the message
// it returns: the caller may keep it, change it, send it on, or call Free when
// done so that its buffer is reused. A message the caller drops without Free
// is left to the garbage collector; sp itself frees every message it drops
// (one SendMsg took, or a pipe read), which its tests check.
//
// A Message is not safe for concurrent use, except that a message made shared
// by Clone may be read (never written) by several goroutines, each of which
// calls Free once.
type Message struct {
	// Header is the protocol header. Cooked sockets fill and strip it
	// themselves; raw sockets expose it to the application.
	Header []byte
	// Body is the application payload.
	Body []byte

	buf  []byte // the pooled buffer: headroom bytes, then Body as NewMessage made it
	pipe Pipe
	refs atomic.Int32     // references beyond the first, added by Clone
	trk  *msgtrack.Record // who holds it, while tests track messages; or nil
}

// Size classes of pooled body buffers. A message whose body capacity is at
// least a class size is returned to that class; bodies under the smallest
// class or over the largest are left to the garbage collector.
// Classes double, so that a buffer grown as bytes arrive never holds more
// than twice what it needs.
var msgClasses = [...]int{256, 512, 1 << 10, 2 << 10, 4 << 10, 8 << 10, 16 << 10, 32 << 10,
	64 << 10, 128 << 10, 256 << 10, 512 << 10, 1 << 20, 2 << 20, 4 << 20}

var msgPools [len(msgClasses)]sync.Pool

// headroom is how many bytes a buffer from NewMessage keeps free in front
// of the Body, so that a protocol header can join the body there without
// moving it (see JoinHeader): a hop count, or a backtrace of up to seven
// hops and a request id.
const headroom = 32

// NewMessage returns an empty message (zero-length Header and Body) whose Body
// has room for at least size bytes without growing.
func NewMessage(size int) *Message {
	i := classOf(size)
	if i >= len(msgClasses) {
		return newMessage(size)
	}
	var m *Message
	if v := msgPools[i].Get(); v != nil {
		m = v.(*Message)
	} else {
		m = newMessage(msgClasses[i])
	}
	if msgtrack.Enabled() {
		m.track()
	}
	return m
}

// track records that the caller of NewMessage holds m, a pooled message
// (see internal/msgtrack).
//
//go:noinline
func (m *Message) track() {
	if m.trk == nil {
		m.trk = msgtrack.Track(m)
		return
	}
	m.trk.Set(msgtrack.User)
}

func init() {
	msgtrack.Register(func(x any) *msgtrack.Record {
		if m, ok := x.(*Message); ok && m != nil {
			return m.trk
		}
		return nil
	})
}

// classOf returns the index of the smallest class that holds size bytes,
// len(msgClasses) if none does.
func classOf(size int) int {
	if size <= msgClasses[0] {
		return 0
	}
	return min(bits.Len(uint(size-1))-minClassBits, len(msgClasses))
}

// minClassBits is log2(msgClasses[0]): class i holds 1<<(minClassBits+i)
// bytes.
const minClassBits = 8

func newMessage(size int) *Message {
	b := make([]byte, 0, headroom+size)
	return &Message{Body: b[headroom:headroom], buf: b}
}

// Free returns the message to the pool. The caller must not use it afterwards.
// Free of a message shared by Clone only drops one reference; the last Free
// recycles it.
//
// Free recycles the buffer NewMessage gave the Body, wherever Body points
// now (a protocol may have sliced a header off its front; an application may
// have replaced it): a slice the application put in Body is never pooled.
// A Message made without NewMessage is left to the garbage collector.
func (m *Message) Free() {
	if m.refs.Load() != 0 {
		if m.refs.Add(-1) >= 0 {
			return
		}
		m.refs.Store(0)
	}
	if m.trk != nil {
		m.trk.Set(msgtrack.Freed)
	}
	c := cap(m.buf) - headroom
	if c < msgClasses[0] || c > 2*msgClasses[len(msgClasses)-1] {
		return
	}
	i := min(bits.Len(uint(c))-1-minClassBits, len(msgClasses)-1) // the largest class <= c
	m.Header = m.Header[:0]
	m.Body = m.buf[headroom:headroom]
	m.pipe = nil
	msgPools[i].Put(m)
}

// Dup returns a deep copy of the message: new buffers with the same Header and
// Body bytes, the same Pipe.
func (m *Message) Dup() *Message {
	d := NewMessage(len(m.Body))
	d.Header = append(d.Header, m.Header...)
	d.Body = append(d.Body, m.Body...)
	d.pipe = m.pipe
	if d.trk != nil && m.trk != nil {
		d.trk.Inherit(m.trk) // a copy the library makes is the library's
	}
	return d
}

// Clone adds a reference to m and returns m, so that one message can be handed
// to several owners (a publisher's pipes, for example) without copying. Every
// holder calls Free once. A cloned message must not be modified; use Dup or
// MakeUnique first.
func (m *Message) Clone() *Message {
	m.refs.Add(1)
	return m
}

// Shared reports whether other references made by Clone are still held.
func (m *Message) Shared() bool { return m.refs.Load() > 0 }

// MakeUnique returns a message the caller may modify: m itself if it is not
// shared, otherwise a copy, and m loses the caller's reference.
func (m *Message) MakeUnique() *Message {
	if !m.Shared() { // small enough to inline
		return m
	}
	return m.unshare()
}

func (m *Message) unshare() *Message {
	d := m.Dup()
	m.Free()
	return d
}

// JoinHeader puts the Header in front of the Body, so that Body holds the
// whole message as it travels on the wire and Header is empty. The body
// does not move when its buffer has room in front of it, which a body from
// NewMessage has for a header of up to 32 bytes (while the Body starts
// where NewMessage put it); otherwise it moves up within its buffer, or
// into a new one. It reports false, changing nothing, for a shared message
// (see Clone), which must not be modified.
func (m *Message) JoinHeader() bool {
	if m.Shared() {
		return false
	}
	h, n := len(m.Header), len(m.Body)
	if h == 0 {
		return true
	}
	switch {
	case h <= headroom && cap(m.buf) >= headroom+n &&
		unsafe.Pointer(unsafe.SliceData(m.Body)) == unsafe.Add(unsafe.Pointer(unsafe.SliceData(m.buf)), headroom):
		m.Body = m.buf[headroom-h : headroom+n]
	case cap(m.Body) >= h+n:
		m.Body = m.Body[:h+n]
		copy(m.Body[h:], m.Body[:n])
	default:
		f := NewMessage(h + n)
		f.Body = append(append(f.Body, m.Header...), m.Body...)
		m.Body, f.Body = f.Body, m.Body
		m.buf, f.buf = f.buf, m.buf
		m.Header = m.Header[:0]
		f.Free() // m's old buffer
		return true
	}
	switch h { // the usual sizes, a hop count or a request id, without a call
	case 4:
		*(*[4]byte)(m.Body) = [4]byte(m.Header)
	case 8:
		*(*[8]byte)(m.Body) = [8]byte(m.Header)
	default:
		copy(m.Body, m.Header)
	}
	m.Header = m.Header[:0]
	return true
}

// Pipe returns the pipe the message arrived on, or nil for a message that was
// not received.
func (m *Message) Pipe() Pipe { return m.pipe }

// SetPipe records the pipe a message arrived on. The engine calls it for every
// received message; a protocol that sends to a chosen pipe reads it back.
func (m *Message) SetPipe(p Pipe) { m.pipe = p }
