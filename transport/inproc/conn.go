package inproc

import (
	"fmt"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spgo/sp"
)

// Messages cross an inproc connection through two lanes, one each way. The
// sending end appends to its lane, up to a limit (laneCap, or what
// SetSendQueueLen set; then it waits for room), and the receiving end takes all a lane holds at once, swapping
// it for the slice it has read out, and then reads them one by one without
// a lock. Each end waits on a channel of its own, for a token given when
// the other end makes a change it waits for: a wait is one channel
// operation, as on a bare Go channel. Send gathers up to maxBatch messages
// before it appends them; SendNow, the engine's path for a lone message,
// appends at once.
const (
	maxBatch = 32
	laneCap  = 64
)

// lane carries messages one way.
type lane struct {
	mu     sync.Mutex
	q      []*sp.Message // waiting, oldest first
	n      atomic.Int32  // len(q): only the sender adds to it
	limit  int           // the most q holds; set before the first send
	onRoom func()        // what NotifyRoom registered; set before the first send
	closed bool
	ended  atomic.Bool   // closed, for a look without the lock
	rxWait atomic.Bool   // the receiver waits on rx (see refill)
	txWait bool          // the sender waits on tx
	rx     chan struct{} // a token for the receiver: messages, the end, a new deadline
	tx     chan struct{} // a token for the sender: room, or the end

	sentMsgs, sentBytes uint64 // all the sender appended
}

func newLane() *lane {
	return &lane{
		q:     make([]*sp.Message, 0, laneCap),
		limit: laneCap,
		rx:    make(chan struct{}, 1),
		tx:    make(chan struct{}, 1),
	}
}

// end closes the lane and wakes both its ends.
func (l *lane) end() {
	l.mu.Lock()
	l.closed = true
	l.ended.Store(true)
	l.mu.Unlock()
	signal(l.rx)
	signal(l.tx)
}

func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// pair is what the two ends of a connection share.
type pair struct {
	once  sync.Once
	lanes [2]*lane // dialer to listener, and back

	mu    sync.Mutex
	ended bool
	onEnd [2]func() // what NotifyEnd registered, by end (see deadline.go)
}

// conn is one end of an inproc connection. Send, SendNow and Flush are
// called by one goroutine at a time (the pipe's writer, or a sender holding
// the pipe's write lock), Recv and Buffered by another (the pipe's reader,
// or a receiver holding its read role), Close and SetReadDeadline by any.
type conn struct {
	*pair
	in, out       *lane
	peer          uint16
	local, remote Addr

	pend []*sp.Message // what Send gathered and Flush has not appended

	cur  []*sp.Message // what Recv took from the lane
	next int           // the next message in cur

	end int // which end this is: 0 the dialer's, 1 the listener's
	rd  readDeadline
}

// newConns returns the two ends of a connection: the dialer's, speaking
// proto to the listener at addr, which speaks peer.
func newConns(proto, peer uint16, addr Addr) (dialer, listener *conn) {
	p := &pair{lanes: [2]*lane{newLane(), newLane()}}
	dialer = &conn{pair: p, in: p.lanes[1], out: p.lanes[0], peer: peer, local: Addr(""), remote: addr}
	listener = &conn{pair: p, in: p.lanes[0], out: p.lanes[1], peer: proto, local: addr, remote: Addr(""), end: 1}
	for _, c := range []*conn{dialer, listener} {
		c.pend = make([]*sp.Message, 0, maxBatch)
		c.cur = make([]*sp.Message, 0, laneCap)
		c.rd.wake = c.in.rx
	}
	return dialer, listener
}

func (c *conn) Handshake(time.Time) error { return nil }
func (c *conn) PeerProtocol() uint16      { return c.peer }
func (c *conn) LocalAddr() net.Addr       { return c.local }
func (c *conn) RemoteAddr() net.Addr      { return c.remote }

// Close ends the connection for both ends, and calls what NotifyEnd
// registered. What was sent before is still delivered.
func (c *conn) Close() error {
	c.once.Do(func() {
		c.lanes[0].end()
		c.lanes[1].end()
		c.mu.Lock()
		c.ended = true
		fs := c.onEnd
		c.onEnd = [2]func(){}
		c.mu.Unlock()
		for _, f := range fs {
			if f != nil {
				f()
			}
		}
	})
	return nil
}

// Send adds m to what goes to the peer, appending it and what was gathered
// before to the lane when maxBatch messages are gathered.
func (c *conn) Send(m *sp.Message) error {
	c.pend = append(c.pend, wireForm(m))
	if len(c.pend) == maxBatch {
		return c.Flush()
	}
	return nil
}

// Flush appends the gathered messages to the lane to the peer, waiting for
// room; if the connection ends first they are freed.
func (c *conn) Flush() error {
	l := c.out
	for len(c.pend) > 0 {
		l.mu.Lock()
		if l.closed {
			l.mu.Unlock()
			for i, m := range c.pend {
				m.Free()
				c.pend[i] = nil
			}
			c.pend = c.pend[:0]
			return sp.ErrClosed
		}
		k := min(len(c.pend), max(l.limit-len(l.q), 0))
		for _, m := range c.pend[:k] {
			l.sentBytes += uint64(len(m.Body))
		}
		l.sentMsgs += uint64(k)
		l.q = append(l.q, c.pend[:k]...)
		l.n.Store(int32(len(l.q)))
		wake := k > 0 && l.rxWait.Load() && l.rxWait.Swap(false)
		l.txWait = k < len(c.pend)
		l.mu.Unlock()
		if wake {
			signal(l.rx)
		}
		n := copy(c.pend, c.pend[k:])
		clear(c.pend[n:])
		c.pend = c.pend[:n]
		if n > 0 {
			<-l.tx
		}
	}
	return nil
}

// SendNow appends m to the lane to the peer if it has room, from the
// sender's goroutine (the engine's path for every send over inproc, which
// gains nothing from a writer goroutine). It reports false, leaving m to
// the caller, when the lane is full (the peer calls what NotifyRoom
// registered once it has room) or Send gathered messages Flush has not
// appended. It may run concurrently with itself, not with Send or Flush:
// the lane then holds at most its limit plus one message per sender beyond
// the first (each sees room before it appends).
func (c *conn) SendNow(m *sp.Message) (taken, more bool, err error) {
	l := c.out
	if len(c.pend) > 0 {
		return false, false, nil
	}
	if int(l.n.Load()) >= l.limit {
		l.mu.Lock()
		full := len(l.q) >= l.limit && !l.closed
		if full {
			l.txWait = true
		}
		l.mu.Unlock()
		if full {
			return false, false, nil
		}
	}
	m = wireForm(m)
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		m.Free()
		return true, false, sp.ErrClosed
	}
	l.q = append(l.q, m)
	l.n.Store(int32(len(l.q)))
	l.sentMsgs++
	l.sentBytes += uint64(len(m.Body))
	wake := l.rxWait.Load() && l.rxWait.Swap(false)
	l.mu.Unlock()
	if wake {
		signal(l.rx)
	}
	return true, false, nil
}

// NotifyRoom registers f, to be called from the peer's receiving goroutine
// when the lane to the peer, which SendNow found full, has room again; it
// must be called before the first send, and f must not block.
func (c *conn) NotifyRoom(f func()) {
	c.out.mu.Lock()
	c.out.onRoom = f
	c.out.mu.Unlock()
}

// SendCounts returns how many messages, and bytes, the connection took for
// the peer, and how many of them wait for the peer to receive them.
func (c *conn) SendCounts() (msgs, bytes uint64, queued int) {
	l := c.out
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.sentMsgs, l.sentBytes, len(l.q)
}

// SetSendQueueLen sets how many messages the lane to the peer holds, n at
// least 1; it must be called before the first send.
func (c *conn) SetSendQueueLen(n int) {
	c.out.mu.Lock()
	c.out.limit = max(n, 1)
	c.out.mu.Unlock()
}

// wireForm returns m as the receiving protocol expects it: header and body
// in one buffer, which it may change (Message.JoinHeader: the body does not
// move, as a rule). A shared message costs a copy, since the receiver owns
// what it receives; anything else moves as it is.
func wireForm(m *sp.Message) *sp.Message {
	if !m.JoinHeader() {
		f := sp.NewMessage(len(m.Header) + len(m.Body))
		f.Body = append(append(f.Body, m.Header...), m.Body...)
		m.Free()
		m = f
	}
	m.SetPipe(nil)
	return m
}

// Buffered reports whether a message is waiting, so that Recv returns at
// once.
func (c *conn) Buffered() bool {
	return c.next < len(c.cur) || c.in.n.Load() > 0
}

// Recv returns the next message from the peer. Messages sent before the
// connection closed are still delivered. When it would wait past the read
// deadline it fails with an error matching os.ErrDeadlineExceeded, and the
// next Recv goes on where it left off.
func (c *conn) Recv(max int) (*sp.Message, error) {
	if c.next == len(c.cur) {
		if err := c.refill(); err != nil {
			return nil, err
		}
	}
	m := c.cur[c.next]
	c.cur[c.next] = nil
	c.next++
	if max > 0 && len(m.Body) > max {
		n := len(m.Body)
		m.Free()
		return nil, fmt.Errorf("%w: %d bytes, the limit is %d", sp.ErrTooLarge, n, max)
	}
	return m, nil
}

// refill takes what the lane from the peer holds, waiting for something.
//
// It waits without the lane's lock: it says it waits (rxWait), then looks
// again; a sender appends (n), then looks whether the receiver waits. Each
// stores before it loads, so one of them sees the other: either the
// receiver sees the message, or the sender sees it wait and wakes it.
func (c *conn) refill() error {
	l := c.in
	for l.n.Load() == 0 && !l.ended.Load() {
		if c.rd.passed() {
			return os.ErrDeadlineExceeded
		}
		l.rxWait.Store(true)
		if l.n.Load() > 0 || l.ended.Load() {
			l.rxWait.Store(false)
			break
		}
		<-l.rx // a message, the end, or a deadline (see readDeadline)
		l.rxWait.Store(false)
	}
	l.mu.Lock()
	if len(l.q) == 0 {
		l.mu.Unlock()
		return sp.ErrClosed // the end: messages sent before it came first
	}
	c.cur, l.q = l.q, c.cur[:0]
	c.next = 0
	l.n.Store(0)
	wake := l.txWait
	l.txWait = false
	onRoom := l.onRoom
	l.mu.Unlock()
	if wake {
		signal(l.tx)
		if onRoom != nil {
			onRoom()
		}
	}
	return nil
}
