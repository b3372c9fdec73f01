package zt

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/msgtrack"
)

// conn is one SP connection over zt: a local port and a peer's node and
// port. The node's reader hands it frames (handle), which reassembles
// them into messages for Recv; Send fragments messages to the MTU.
type conn struct {
	n            *node
	accepted     bool // made by a listener
	lport, rport uint32
	rnode        uint64
	rmac         [6]byte
	proto, peer  uint16
	mtu          int
	pingTime     time.Duration
	pingTries    int32
	recvMax      int

	in        *inbox      // whole messages, for Recv
	ack       chan uint16 // a dialer's CONN-ACK
	closed    chan struct{}
	closeOnce sync.Once
	dead      chan struct{} // closed when the peer left or failed
	deadOnce  sync.Once
	deadErr   error
	up        atomic.Bool // handshake done: answer CONN-REQs, send DISC on close

	lastRecv atomic.Int64 // unix nanoseconds
	pings    atomic.Int32
	timerMu  sync.Mutex
	timer    *time.Timer

	msgID uint16 // Send's
	out   []byte

	asmMu sync.Mutex
	asm   reassembler
}

func newConn(n *node, s settings, proto uint16) *conn {
	c := &conn{n: n, proto: proto, mtu: n.mtu(s.mtu), pingTime: s.pingTime, pingTries: int32(s.pingTries), recvMax: s.recvMax,
		in: newInbox(), ack: make(chan uint16, 1),
		closed: make(chan struct{}), dead: make(chan struct{})}
	c.lastRecv.Store(time.Now().UnixNano())
	return c
}

func (c *conn) hdr(op byte) header { return header{op: op, dst: c.rport, src: c.lport} }

// die marks the connection as failed for the reason err.
func (c *conn) die(err error) {
	c.deadOnce.Do(func() {
		c.deadErr = err
		close(c.dead)
	})
}

func (c *conn) isDead() bool {
	select {
	case <-c.dead:
		return true
	default:
		return false
	}
}

// handle takes a frame from the node's reader or, with local set, from
// the goroutine of a sender in this process.
func (c *conn) handle(h header, frame []byte, local bool) {
	now := time.Now()
	c.lastRecv.Store(now.UnixNano())
	c.pings.Store(0)
	switch h.op {
	case opData:
		c.data(frame, local, now)
	case opConnAck:
		if p, err := parseConn(frame); err == nil && !c.accepted {
			select {
			case c.ack <- p:
			default:
			}
		}
	case opConnReq:
		if c.accepted && c.up.Load() { // our CONN-ACK was lost
			c.n.send(c.rmac, appendConn(nil, c.hdr(opConnAck), c.proto))
		}
	case opDisc:
		c.die(fmt.Errorf("%w: the peer disconnected", sp.ErrClosed))
	case opPing:
		c.n.send(c.rmac, appendHeader(nil, c.hdr(opPong)))
	case opErr:
		if code, text, err := parseErr(frame); err == nil {
			c.die(peerError(code, text))
		}
	}
}

// Handshake implements sp.TransportConn. A dialer's connection exchanged
// protocol ids in Dial; a listener's sends its CONN-ACK now.
func (c *conn) Handshake(time.Time) error {
	if c.accepted {
		if err := c.n.send(c.rmac, appendConn(nil, c.hdr(opConnAck), c.proto)); err != nil {
			return err
		}
	}
	c.up.Store(true)
	c.startPings()
	return nil
}

// PeerProtocol implements sp.TransportConn.
func (c *conn) PeerProtocol() uint16 { return c.peer }

// LocalAddr implements sp.TransportConn.
func (c *conn) LocalAddr() net.Addr { return &Addr{Node: c.n.id, NWID: c.n.nwid, Port: c.lport} }

// RemoteAddr implements sp.TransportConn.
func (c *conn) RemoteAddr() net.Addr { return &Addr{Node: c.rnode, NWID: c.n.nwid, Port: c.rport} }

// Flush implements sp.TransportConn: Send writes each frame at once.
func (c *conn) Flush() error { return nil }

// Send implements sp.TransportConn: it sends m in fragments of MTU-20
// bytes, all with the message's id.
func (c *conn) Send(m *sp.Message) error {
	defer m.Free()
	select {
	case <-c.closed:
		return sp.ErrClosed
	case <-c.dead:
		return c.deadErr
	default:
	}
	size := len(m.Header) + len(m.Body)
	fs := c.mtu - dataOffset
	nf := max((size+fs-1)/fs, 1)
	if nf > 0xffff || fs > 0xffff {
		return fmt.Errorf("%w: %d bytes need %d fragments of %d, more than 65535", sp.ErrTooLarge, size, nf, fs)
	}
	f := frag{msgID: c.msgID, fragSize: uint16(fs), nFrags: uint16(nf)}
	c.msgID++
	h := c.hdr(opData)
	var payload []byte
	if len(m.Header) == 0 {
		payload = m.Body
	} else {
		payload = append(append(make([]byte, 0, size), m.Header...), m.Body...)
	}
	for i := range nf {
		p := payload[i*fs : min((i+1)*fs, size)]
		f.fragNo = uint16(i)
		c.out = appendData(c.out[:0], h, f, p)
		if err := c.n.send(c.rmac, c.out); err != nil {
			return err
		}
	}
	return nil
}

// data adds a DATA frame to its message and queues the message if it is
// whole. A frame that breaks the protocol or makes its message too large
// fails the connection and tells the peer why (ERR).
func (c *conn) data(frame []byte, local bool, now time.Time) {
	if c.isDead() {
		return
	}
	fr, p, err := parseData(frame)
	var b []byte
	if err == nil {
		c.asmMu.Lock()
		b, err = c.asm.add(fr, p, c.recvMax, now)
		c.asmMu.Unlock()
	}
	if err != nil {
		code := byte(errProtoErr)
		if errors.Is(err, sp.ErrTooLarge) {
			code = errTooBig
		}
		c.n.send(c.rmac, appendErr(nil, c.hdr(opErr), code, err.Error()))
		c.die(err)
		return
	}
	if b == nil {
		return
	}
	if local {
		c.in.putWait(b, c.closed, inboxWait)
	} else {
		c.in.put(b) // or dropped: the receiver is too far behind
	}
}

// Recv implements sp.TransportConn.
func (c *conn) Recv(maxSize int) (*sp.Message, error) {
	b, ok := c.in.take()
	for !ok {
		select {
		case <-c.in.ready:
			b, ok = c.in.take()
		case <-c.closed:
			return nil, sp.ErrClosed
		case <-c.dead:
			// Messages that came before the peer left still count.
			if b, ok = c.in.take(); !ok {
				return nil, c.deadErr
			}
		}
	}
	if maxSize > 0 && len(b) > maxSize {
		err := tooLarge(len(b), maxSize)
		c.n.send(c.rmac, appendErr(nil, c.hdr(opErr), errTooBig, err.Error()))
		return nil, err
	}
	m := sp.NewMessage(0)
	msgtrack.ToLibrary(m)
	m.Body = b
	return m, nil
}

// Close implements sp.TransportConn: it tells the peer (DISC) and
// releases the connection's port.
func (c *conn) Close() error {
	c.closeOnce.Do(func() {
		close(c.closed)
		c.timerMu.Lock()
		if c.timer != nil {
			c.timer.Stop()
		}
		c.timerMu.Unlock()
		if c.up.Load() && !c.isDead() {
			c.n.send(c.rmac, appendHeader(nil, c.hdr(opDisc)))
		}
		c.die(sp.ErrClosed)
		c.n.remove(c)
		c.n.release()
	})
	return nil
}

// startPings starts the keepalive: after PingTime without a frame from
// the peer, a PING every PingTime; after PingTries unanswered, the
// connection fails.
func (c *conn) startPings() {
	c.timerMu.Lock()
	defer c.timerMu.Unlock()
	select {
	case <-c.closed:
		return
	default:
	}
	c.timer = time.AfterFunc(c.pingTime, c.tick)
}

func (c *conn) tick() {
	c.timerMu.Lock()
	defer c.timerMu.Unlock()
	select {
	case <-c.closed:
		return
	case <-c.dead:
		return
	default:
	}
	next := c.pingTime
	idle := time.Since(time.Unix(0, c.lastRecv.Load()))
	if idle >= c.pingTime {
		if c.pings.Load() >= c.pingTries {
			c.die(fmt.Errorf("%w: zt peer %010x:%d did not answer %d pings", sp.ErrTimeout, c.rnode, c.rport, c.pingTries))
			c.n.send(c.rmac, appendHeader(nil, c.hdr(opDisc)))
			return
		}
		c.pings.Add(1)
		c.n.send(c.rmac, appendHeader(nil, c.hdr(opPing)))
	} else {
		next = c.pingTime - idle
	}
	c.timer.Reset(next)
}
