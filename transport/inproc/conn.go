package inproc

import (
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/spgo/sp"
)

// Messages cross an inproc connection in batches: the writer's Sends gather
// up to maxBatch messages and its Flush hands them over with one channel
// operation, and the reader takes them one by one from the batch it holds.
// A channel holds channelBatches batches, so at most
// channelBatches*maxBatch messages are in flight each way.
const (
	maxBatch       = 32
	channelBatches = 2
)

type batch struct{ ms []*sp.Message }

var batches = sync.Pool{New: func() any { return &batch{ms: make([]*sp.Message, 0, maxBatch)} }}

// pair is what the two ends of a connection share.
type pair struct {
	once sync.Once
	done chan struct{}
}

// conn is one end of an inproc connection. Send, SendNow and Flush are
// called by one goroutine at a time (the pipe's writer, or a sender holding
// the pipe's write lock), Recv and Buffered by another (the pipe's reader),
// Close by any.
type conn struct {
	*pair
	in, out       chan *batch
	peer          uint16
	local, remote Addr

	pend *batch // what Send gathered and Flush has not handed over

	cur  *batch // the batch Recv takes from
	next int    // its next message
}

// newConns returns the two ends of a connection: the dialer's, speaking
// proto to the listener at addr, which speaks peer.
func newConns(proto, peer uint16, addr Addr) (dialer, listener *conn) {
	a2b := make(chan *batch, channelBatches)
	b2a := make(chan *batch, channelBatches)
	p := &pair{done: make(chan struct{})}
	dialer = &conn{pair: p, in: b2a, out: a2b, peer: peer, local: Addr(""), remote: addr}
	listener = &conn{pair: p, in: a2b, out: b2a, peer: proto, local: addr, remote: Addr("")}
	return dialer, listener
}

func (c *conn) Handshake(time.Time) error { return nil }
func (c *conn) PeerProtocol() uint16      { return c.peer }
func (c *conn) LocalAddr() net.Addr       { return c.local }
func (c *conn) RemoteAddr() net.Addr      { return c.remote }

func (c *conn) Close() error {
	c.once.Do(func() { close(c.done) })
	return nil
}

// Send adds m to the batch for the peer, handing the batch over when it is
// full.
func (c *conn) Send(m *sp.Message) error {
	if c.pend == nil {
		c.pend = batches.Get().(*batch)
	}
	c.pend.ms = append(c.pend.ms, wireForm(m))
	if len(c.pend.ms) == maxBatch {
		return c.Flush()
	}
	return nil
}

// Flush hands the gathered messages to the peer, waiting for room in the
// channel; if the connection closes first they are freed.
func (c *conn) Flush() error {
	b := c.pend
	if b == nil {
		return nil
	}
	c.pend = nil
	select {
	case <-c.done:
		freeBatch(b)
		return sp.ErrClosed
	default:
	}
	select {
	case c.out <- b:
		return nil
	case <-c.done:
		freeBatch(b)
		return sp.ErrClosed
	}
}

// SendNow hands m to the peer if its channel has room, from the sender's
// goroutine (the engine's direct path: an inproc pipe gains nothing from
// its writer goroutine when nothing is queued). It reports false, leaving m
// to the caller, when the channel is full. Like Send, it must not run
// concurrently with Send or Flush: then nobody else sends on the channel,
// and room seen stays room.
func (c *conn) SendNow(m *sp.Message) (taken, more bool, err error) {
	if c.pend != nil || len(c.out) == cap(c.out) {
		return false, false, nil
	}
	if err := c.Send(m); err != nil {
		return true, false, err
	}
	return true, false, c.Flush()
}

// wireForm returns m as the receiving protocol expects it: header and body
// in one buffer, which it may change. A header goes in front of the body in
// the body's own buffer when it has room (moving the body up); a shared
// message, or a header with no room, costs a copy into a new message;
// anything else moves as it is.
func wireForm(m *sp.Message) *sp.Message {
	h, n := len(m.Header), len(m.Body)
	if h > 0 && !m.Shared() && cap(m.Body) >= h+n {
		m.Body = m.Body[:h+n]
		copy(m.Body[h:], m.Body[:n])
		copy(m.Body, m.Header)
		m.Header = m.Header[:0]
		m.SetPipe(nil)
		return m
	}
	if h > 0 || m.Shared() {
		f := sp.NewMessage(len(m.Header) + len(m.Body))
		f.Body = append(append(f.Body, m.Header...), m.Body...)
		m.Free()
		m = f
	}
	m.SetPipe(nil)
	return m
}

func freeBatch(b *batch) {
	for i, m := range b.ms {
		m.Free()
		b.ms[i] = nil
	}
	b.ms = b.ms[:0]
	batches.Put(b)
}

// Buffered reports whether a message is waiting, so that Recv returns at
// once.
func (c *conn) Buffered() bool {
	return (c.cur != nil && c.next < len(c.cur.ms)) || len(c.in) > 0
}

// Recv returns the next message from the peer. Messages sent before the
// connection closed are still delivered.
func (c *conn) Recv(max int) (*sp.Message, error) {
	if c.cur == nil || c.next == len(c.cur.ms) {
		if c.cur != nil {
			clear(c.cur.ms)
			c.cur.ms = c.cur.ms[:0]
			batches.Put(c.cur)
			c.cur = nil
		}
		var b *batch
		select {
		case b = <-c.in:
		case <-c.done:
			select {
			case b = <-c.in:
			default:
				return nil, sp.ErrClosed
			}
		}
		c.cur, c.next = b, 0
	}
	m := c.cur.ms[c.next]
	c.cur.ms[c.next] = nil
	c.next++
	if max > 0 && len(m.Body) > max {
		n := len(m.Body)
		m.Free()
		return nil, fmt.Errorf("%w: %d bytes, the limit is %d", sp.ErrTooLarge, n, max)
	}
	return m, nil
}
