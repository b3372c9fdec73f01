package udp

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/msgtrack"
)

// conn is one connection: sp.TransportConn over a peer's address on an
// endpoint's socket. It is safe for concurrent use as the engine uses it
// (Recv from one goroutine, Send and Flush from another, Close from any).
type conn struct {
	e      *ep
	raddr  netip.AddrPort
	dialer bool
	rcvMax int // what we advertise
	in     *inbox

	mu        sync.Mutex
	peerProto uint16
	known     bool // peerProto came from the peer
	sndMax    int  // what the peer advertised
	refresh   time.Duration
	expire    time.Time
	nextCREQ  time.Time     // dialers
	hs        chan struct{} // closed once the handshake is over
	hsDone    bool
	hsErr     error
	dead      bool
	deadErr   error

	buf       []byte      // Send's datagram, Send's goroutine only
	closeOnce atomic.Bool // Close has run
}

func newConn(e *ep, raddr netip.AddrPort, dialer bool) *conn {
	c := &conn{
		e:      e,
		raddr:  raddr,
		dialer: dialer,
		rcvMax: e.set.recvMax,
		in:     newInbox(),
		hs:     make(chan struct{}),
	}
	if dialer {
		c.refresh = e.set.connRetry
		c.expire = time.Now().Add(e.set.connExpire)
	} else {
		c.known, c.hsDone = true, true
	}
	return c
}

// DiscError is why a peer disconnected: the reason its DISC datagram
// gave. Reason 0, an ordinary close, matches io.EOF; 1 (the peer's
// protocol is not our peer) sp.ErrBadProtocol; 3 (refused) and 8 (no
// resources: the listener's peer limit) sp.ErrConnRefused. Its methods
// only read it: it is safe to share.
type DiscError struct {
	Reason uint16
}

// Error says what the reason means.
func (e *DiscError) Error() string {
	name, ok := discNames[e.Reason]
	if !ok {
		name = "unknown reason"
	}
	return fmt.Sprintf("udp: peer disconnected: %s (DISC %d)", name, e.Reason)
}

// Is matches the sentinel errors the reason stands for.
func (e *DiscError) Is(target error) bool {
	switch e.Reason {
	case discClosed:
		return target == io.EOF
	case discType:
		return target == sp.ErrBadProtocol
	case discRefused, discNoBuf:
		return target == sp.ErrConnRefused
	}
	return false
}

// Handshake implements sp.TransportConn. A dialer sends its connection
// request, again every ConnRetry, until the listener acknowledges it (or
// refuses, or ConnExpire or the deadline passes). An accepted connection
// has done its handshake already: the request made it.
func (c *conn) Handshake(deadline time.Time) error {
	if c.dialer {
		c.mu.Lock()
		c.sendCREQ(time.Now())
		c.mu.Unlock()
		c.e.kick()
		var timeout <-chan time.Time
		if !deadline.IsZero() {
			t := time.NewTimer(time.Until(deadline))
			defer t.Stop()
			timeout = t.C
		}
		select {
		case <-c.hs:
		case <-timeout:
			c.fail(fmt.Errorf("%w: udp: no answer from %v to the connection request", sp.ErrTimeout, c.raddr), false, 0)
		}
	}
	<-c.hs
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.hsErr
}

// PeerProtocol implements sp.TransportConn.
func (c *conn) PeerProtocol() uint16 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.peerProto
}

// Send implements sp.TransportConn: m goes out as one DATA datagram at
// once. A message over the peer's receive limit, or over what one
// datagram carries, is refused with an error wrapping sp.ErrTooLarge.
func (c *conn) Send(m *sp.Message) error {
	defer m.Free()
	size := len(m.Header) + len(m.Body)
	c.mu.Lock()
	dead, err, limit := c.dead, c.deadErr, c.sndMax
	c.mu.Unlock()
	if dead {
		return err
	}
	if size > limit || size > maxPayload {
		c.e.set.add(func(c *Counters) *atomic.Uint64 { return &c.SendTooLarge })
		what := "the peer's receive limit"
		if limit > maxPayload {
			what, limit = "what one datagram carries", maxPayload
		}
		return fmt.Errorf("%w: udp: a %d-byte message is over %s, %d bytes (udp never fragments)",
			sp.ErrTooLarge, size, what, limit)
	}
	b := appendHeader(c.buf[:0], header{op: opData, proto: c.e.self, p0: uint16(size)})
	b = append(append(b, m.Header...), m.Body...)
	c.buf = b
	if err := c.e.write(b, c.raddr); err != nil {
		c.mu.Lock()
		dead, derr := c.dead, c.deadErr
		c.mu.Unlock()
		if dead {
			return derr
		}
		return err
	}
	return nil
}

// SendLimit implements sp.SendLimiter: the peer's receive limit, or what
// one datagram carries if that is less. The socket refuses a larger
// message at Send; Send refuses one that reaches it anyway.
func (c *conn) SendLimit() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return min(c.sndMax, maxPayload)
}

// Flush implements sp.TransportConn: Send writes each datagram at once.
func (c *conn) Flush() error { return nil }

// Recv implements sp.TransportConn.
func (c *conn) Recv(maxSize int) (*sp.Message, error) {
	m, err := c.in.get()
	if err != nil {
		return nil, err
	}
	if maxSize > 0 && len(m.Body) > maxSize {
		n := len(m.Body)
		m.Free()
		err := fmt.Errorf("%w: udp: %d bytes, the limit is %d", sp.ErrTooLarge, n, maxSize)
		c.fail(err, true, discMsgSize)
		return nil, err
	}
	return m, nil
}

// Buffered implements sp.BufferedConn: whether a message is queued for
// Recv.
func (c *conn) Buffered() bool { return c.in.buffered() }

// LocalAddr implements sp.TransportConn: the endpoint's socket address.
func (c *conn) LocalAddr() net.Addr { return c.e.pc.LocalAddr() }

// RemoteAddr implements sp.TransportConn.
func (c *conn) RemoteAddr() net.Addr { return net.UDPAddrFromAddrPort(c.raddr) }

// OptionValue implements sp.OptionGetter for a pipe's properties.
func (c *conn) OptionValue(name string) (any, error) {
	if name == PeerRecvMax.Name() {
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.sndMax, nil
	}
	return nil, fmt.Errorf("%w: a udp pipe has no property %q", sp.ErrBadOption, name)
}

// Close implements sp.TransportConn: it tells the peer (DISC 0, or 1 if
// its protocol is not our peer) unless the connection had ended already.
// A dialer's connection closes its socket too; a listener's the last one
// after the listener closed.
func (c *conn) Close() error {
	reason := uint16(discClosed)
	c.mu.Lock()
	if c.known && c.peerProto != c.e.peer {
		reason = discType
	}
	c.mu.Unlock()
	c.fail(sp.ErrClosed, true, reason)
	c.in.close(sp.ErrClosed)
	if c.closeOnce.CompareAndSwap(false, true) {
		if c.dialer {
			c.e.close(sp.ErrClosed)
		} else {
			c.e.closed1()
		}
	}
	return nil
}

// fail ends the connection for the reason err, once: the handshake, if
// still going, fails with it, and Recv returns it after what is queued.
// With tell it sends the peer DISC with reason.
func (c *conn) fail(err error, tell bool, reason uint16) {
	c.mu.Lock()
	if c.dead {
		c.mu.Unlock()
		return
	}
	c.dead, c.deadErr = true, err
	if !c.hsDone {
		c.hsDone, c.hsErr = true, err
		close(c.hs)
	}
	c.mu.Unlock()
	if tell {
		c.e.disc(c.raddr, reason)
	}
	c.in.end(err)
	if !c.dialer {
		c.e.remove(c)
	}
}

// ended reports whether the connection has ended.
func (c *conn) ended() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.dead
}

// refused ends a dialer's connection when ICMP says nobody listens.
func (c *conn) refused(err error) {
	c.fail(fmt.Errorf("%w: udp: %v: %w", sp.ErrConnRefused, c.raddr, err), false, 0)
}

// sendCREQ sends a connection request or refresh; c.mu is held.
func (c *conn) sendCREQ(now time.Time) {
	c.nextCREQ = now.Add(c.refresh)
	c.e.control(c.raddr, header{op: opCREQ, proto: c.e.self, p0: uint16(c.rcvMax), p1: seconds(c.refresh)})
}

// sendCACK acknowledges a request; c.mu need not be held.
func (c *conn) sendCACK() {
	c.mu.Lock()
	h := header{op: opCACK, proto: c.e.self, p0: uint16(c.rcvMax), p1: seconds(c.refresh)}
	c.mu.Unlock()
	c.e.control(c.raddr, h)
}

var errNego = fmt.Errorf("%w: udp: the peer asked for a refresh of 0 s", sp.ErrMalformed)

// cack takes a dialer's acknowledgement: the first ends the handshake,
// later ones refresh the connection.
func (c *conn) cack(h header) {
	if h.p1 == 0 {
		c.fail(errNego, true, discNego)
		return
	}
	now := time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.dead {
		return
	}
	c.peerProto, c.known = h.proto, true
	c.sndMax = int(h.p0)
	c.refresh = min(c.e.set.refresh, time.Duration(h.p1)*time.Second)
	c.expire = now.Add(5 * c.refresh)
	c.nextCREQ = now.Add(c.refresh)
	if !c.hsDone {
		c.hsDone = true
		close(c.hs)
	}
}

// refreshed takes a listener's refresh request from a known peer.
func (c *conn) refreshed(h header) {
	c.mu.Lock()
	proto := c.peerProto
	c.mu.Unlock()
	switch {
	case h.proto != proto:
		c.fail(fmt.Errorf("%w: udp: the peer's protocol changed from 0x%x to 0x%x", sp.ErrBadProtocol, proto, h.proto), true, discType)
		return
	case h.p1 == 0:
		c.fail(errNego, true, discNego)
		return
	}
	now := time.Now()
	c.mu.Lock()
	c.refresh = min(c.refresh, time.Duration(h.p1)*time.Second)
	c.expire = now.Add(5 * c.refresh)
	c.mu.Unlock()
	c.sendCACK()
}

// data takes a DATA datagram.
func (c *conn) data(h header, rest []byte) {
	p, err := dataPayload(h, rest, c.rcvMax)
	if err != nil {
		c.e.set.add(func(c *Counters) *atomic.Uint64 { return &c.RecvTooLarge })
		c.fail(err, true, discMsgSize)
		return
	}
	now := time.Now()
	c.mu.Lock()
	c.expire = now.Add(5 * c.refresh)
	c.mu.Unlock()
	m := sp.NewMessage(len(p))
	msgtrack.ToLibrary(m)
	m.Body = append(m.Body, p...)
	if c.in.put(m) {
		c.e.set.add(func(c *Counters) *atomic.Uint64 { return &c.RecvQueueFull })
	}
}

// tick does what is due at now and returns when to look again.
func (c *conn) tick(now time.Time) time.Time {
	never := now.Add(time.Hour)
	c.mu.Lock()
	if c.dead {
		c.mu.Unlock()
		return never
	}
	if now.After(c.expire) {
		acked := c.hsDone
		c.mu.Unlock()
		if c.dialer && !acked {
			c.fail(fmt.Errorf("%w: udp: no answer from %v to the connection request within %v",
				sp.ErrTimeout, c.raddr, c.e.set.connExpire), false, 0)
			return never
		}
		c.e.set.add(func(c *Counters) *atomic.Uint64 { return &c.PeersInactive })
		c.fail(fmt.Errorf("%w: udp: nothing heard from %v for five refresh intervals", errInactive, c.raddr), true, discInactive)
		return never
	}
	next := c.expire
	if c.dialer {
		if !now.Before(c.nextCREQ) {
			c.sendCREQ(now)
		}
		next = minTime(next, c.nextCREQ)
	}
	c.mu.Unlock()
	return next
}

// errInactive is the close reason of a connection whose peer went silent.
var errInactive = errors.New("udp: peer inactive")

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}
