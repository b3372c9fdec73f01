package inproc

import (
	"fmt"
	"net"
	"os"
	"sync"
	"time"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/msgtrack"
)

// Messages cross an inproc connection through two lanes (lane.go), one
// each way. Send gathers up to maxBatch messages before it appends them;
// SendNow, the engine's path for every send, appends at once.
const maxBatch = 32

// pair is what the two ends of a connection share.
type pair struct {
	once  sync.Once
	lanes [2]*lane // dialer to listener, and back
	ends  [2]*conn // the dialer's and the listener's

	mu    sync.Mutex
	ended bool
	onEnd [2]func() // what NotifyEnd registered, by end (see deadline.go)
}

// conn is one end of an inproc connection. Send and Flush are called by
// one goroutine at a time, and never with SendNow, which several senders
// may call at once (the engine calls only SendNow: see SendsEagerly); Recv
// and Buffered by one goroutine at a time (the pipe's reader, or a receiver
// holding its read role); Close, SetReadDeadline and NotifyEnd by any.
type conn struct {
	*pair
	in, out       *lane
	peer          uint16
	local, remote Addr

	pend []*sp.Message // what Send gathered and Flush has not appended
	r    reader        // Recv's place in the lane from the peer

	end int // which end this is: 0 the dialer's, 1 the listener's
	rd  readDeadline
}

// newConns returns the two ends of a connection: the dialer's, speaking
// proto to the listener at addr, which speaks peer.
func newConns(proto, peer uint16, addr Addr) (dialer, listener *conn) {
	p := &pair{lanes: [2]*lane{newLane(), newLane()}}
	dialer = &conn{pair: p, in: p.lanes[1], out: p.lanes[0], peer: peer, local: Addr(""), remote: addr}
	listener = &conn{pair: p, in: p.lanes[0], out: p.lanes[1], peer: proto, local: addr, remote: Addr(""), end: 1}
	p.ends = [2]*conn{dialer, listener}
	for _, c := range p.ends {
		c.pend = make([]*sp.Message, 0, maxBatch)
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
		for _, e := range c.ends {
			e.rd.stop()
		}
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
		if l.ended.Load() {
			for i, m := range c.pend {
				m.Free()
				c.pend[i] = nil
			}
			c.pend = c.pend[:0]
			return sp.ErrClosed
		}
		l.smu.Lock()
		if l.ended.Load() { // it ended since: the loop's top frees them
			l.smu.Unlock()
			continue
		}
		k := l.appendLocked(c.pend)
		l.smu.Unlock()
		n := copy(c.pend, c.pend[k:])
		clear(c.pend[n:])
		c.pend = c.pend[:n]
		if n > 0 && k == 0 {
			<-l.tx // room, or the end
		}
	}
	return nil
}

// SendNow appends m to the lane to the peer if it has room, from the
// sender's goroutine (the engine's path for every send over inproc, which
// gains nothing from a writer goroutine). It reports false, leaving m to
// the caller, when the lane is full (the peer calls what NotifyRoom
// registered once it has room) or Send gathered messages Flush has not
// appended. It may run concurrently with itself, not with Send or Flush.
func (c *conn) SendNow(m *sp.Message) (taken, more bool, err error) {
	l := c.out
	if len(c.pend) > 0 {
		return false, false, nil
	}
	if l.ended.Load() {
		m.Free()
		return true, false, sp.ErrClosed
	}
	taken, err = l.appendOne(m)
	return taken, false, err
}

// NotifyRoom registers f, to be called from the peer's receiving goroutine
// when the lane to the peer, which SendNow found full, has room again; it
// must be called before the first send, and f must not block.
func (c *conn) NotifyRoom(f func()) { c.out.onRoom = f }

// SendCounts returns how many messages, and bytes, the connection took for
// the peer, and how many of them the peer has yet to receive.
func (c *conn) SendCounts() (msgs, bytes uint64, queued int) {
	l := c.out
	l.smu.Lock()
	defer l.smu.Unlock()
	return l.next, l.sentBytes, int(l.next - l.headLocked())
}

// RecvCounts returns how many messages, and bytes, the connection took
// from the peer: exact whenever this end has received all there is, and
// otherwise at most a quarter of a lane behind. A message handed to this
// end while it waited counts as taken at once (see lane).
func (c *conn) RecvCounts() (msgs, bytes uint64) {
	l := c.in
	l.smu.Lock()
	defer l.smu.Unlock()
	return l.receivedLocked()
}

// SetSendQueueLen sets how many messages the lane to the peer holds, n at
// least 1; it must be called before the first send.
func (c *conn) SetSendQueueLen(n int) { c.out.setLimit(n) }

// wireForm returns m as the receiving protocol expects it: header and body
// in one buffer, which it may change (Message.JoinHeader: the body does not
// move, as a rule). A shared message costs a copy, since the receiver owns
// what it receives; anything else moves as it is.
func wireForm(m *sp.Message) *sp.Message {
	if !m.JoinHeader() {
		f := sp.NewMessage(len(m.Header) + len(m.Body))
		msgtrack.ToLibrary(f)
		f.Body = append(append(f.Body, m.Header...), m.Body...)
		m.Free()
		m = f
	}
	m.SetPipe(nil)
	return m
}

// Buffered reports whether a message is waiting, so that Recv returns at
// once.
func (c *conn) Buffered() bool { return c.r.buffered(c.in) }

// Recv returns the next message from the peer. Messages sent before the
// connection closed are still delivered. When it would wait past the read
// deadline it fails with an error matching os.ErrDeadlineExceeded, and the
// next Recv goes on where it left off.
func (c *conn) Recv(max int) (*sp.Message, error) {
	for {
		m, wait, err := c.RecvOrWait(max)
		if wait == nil {
			return m, err
		}
		if m = <-wait; m != nil {
			return c.Handed(m, max)
		}
	}
}

// RecvOrWait is Recv that does not wait: when nothing has come it returns
// a channel to wait on instead, and the caller waits there and calls again
// (the engine's receivers wait so in a frame of their own: see its
// recvdirect.go). What the channel gives is a token (nil): something may
// have come, the connection ended, or the read deadline changed or passed;
// or a message handed over, which the caller passes to Handed.
func (c *conn) RecvOrWait(max int) (*sp.Message, <-chan *sp.Message, error) {
	l := c.in
	var m *sp.Message
	if !c.r.empty(l) {
		m = c.r.take(l)
	}
	for m == nil {
		if end, passed := l.ended.Load(), c.rd.passed(); end || passed {
			// What was sent before is received first: a message
			// appended, or handed over (rx).
			if m = c.r.next(l); m == nil {
				m = c.r.handed(l)
			}
			if m != nil {
				break
			}
			if end {
				return nil, nil, sp.ErrClosed
			}
			return nil, nil, os.ErrDeadlineExceeded
		}
		c.r.wait(l) // then look again (see lane)
		if !c.r.empty(l) {
			m = c.r.take(l)
			continue
		}
		if l.ended.Load() {
			continue
		}
		// A message handed over, or a token: one appended, the end, a
		// deadline (see readDeadline).
		return nil, l.rx, nil
	}
	m, err := c.limit(m, max)
	return m, nil, err
}

// Handed takes note that the channel RecvOrWait returned gave m, and
// returns it as Recv would.
func (c *conn) Handed(m *sp.Message, max int) (*sp.Message, error) {
	c.r.h++
	return c.limit(m, max)
}

// limit returns m, or an error if it is over max bytes (0: no limit).
func (c *conn) limit(m *sp.Message, max int) (*sp.Message, error) {
	if max > 0 && len(m.Body) > max {
		n := len(m.Body)
		m.Free()
		return nil, fmt.Errorf("%w: %d bytes, the limit is %d", sp.ErrTooLarge, n, max)
	}
	return m, nil
}
