package zt

import (
	"fmt"
	"net"
	"sync"

	"github.com/spgo/sp"
)

// backlog is the number of connections a listener queues for Accept.
const backlog = 128

// listener accepts connections on one port of a node.
type listener struct {
	u   url
	cfg sp.TransportConfig

	mu     sync.Mutex
	n      *node
	s      settings
	port   uint32
	bound  bool
	closed bool

	accept    chan *conn
	done      chan struct{}
	closeOnce sync.Once
}

// Listen implements sp.TransportListener.
func (l *listener) Listen() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return sp.ErrClosed
	}
	if l.bound {
		return fmt.Errorf("%w: already listening", sp.ErrBadState)
	}
	s := readSettings(l.cfg)
	n, err := acquire(s, l.u.nwid)
	if err != nil {
		return err
	}
	if !l.u.anyNode && l.u.node != n.id {
		n.release()
		return fmt.Errorf("%w: %q: node %010x is not this node (%010x): listen on zt://*.%016x:port or on this node",
			sp.ErrBadURL, l.u.original, l.u.node, n.id, l.u.nwid)
	}
	l.n, l.s = n, s // before the port is bound: handle reads them
	port, err := n.bindListener(l, l.u.port)
	if err != nil {
		n.release()
		return err
	}
	l.port, l.bound = port, true
	return nil
}

// Accept implements sp.TransportListener.
func (l *listener) Accept() (sp.TransportConn, error) {
	select {
	case c := <-l.accept:
		return c, nil
	case <-l.done:
		return nil, sp.ErrClosed
	}
}

// Addr implements sp.TransportListener: an *Addr with the node and the
// port bound.
func (l *listener) Addr() net.Addr {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.bound {
		return nil
	}
	return &Addr{Node: l.n.id, NWID: l.u.nwid, Port: l.port}
}

// Close implements sp.TransportListener. Connections not yet accepted are
// closed; accepted ones are the socket's to close.
func (l *listener) Close() error {
	l.closeOnce.Do(func() {
		l.mu.Lock()
		l.closed = true
		close(l.done)
		bound := l.bound
		l.mu.Unlock()
		if !bound {
			return
		}
		l.n.unbindListener(l.port, l)
		for {
			select {
			case c := <-l.accept:
				c.Close()
				continue
			default:
			}
			break
		}
		l.n.release()
	})
	return nil
}

// handle takes a frame for the listener's port from a peer that has no
// connection: a CONN-REQ makes one.
func (l *listener) handle(src [6]byte, rnode uint64, h header, frame []byte) {
	n := l.n
	switch h.op {
	case opConnReq:
	case opData, opPing:
		n.sendErr(src, h, errNoSession, "no such connection")
		return
	default:
		return
	}
	proto, err := parseConn(frame)
	if err != nil {
		return
	}
	self := l.cfg.Protocol()
	if proto != self.Peer {
		n.sendErr(src, h, errProto, fmt.Sprintf("protocol 0x%x is not %s's peer %s (0x%x)", proto, self.SelfName, self.PeerName, self.Peer))
		return
	}
	c := newConn(n, l.s, self.Self)
	c.accepted, c.lport, c.rport, c.rnode, c.rmac, c.peer = true, h.dst, h.src, rnode, src, proto
	k := connKey{rnode, h.src, h.dst}

	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		n.sendErr(src, h, errRefused, "the listener is closing")
		return
	}
	n.mu.Lock()
	if n.accepted[k] != nil { // raced with another copy of the request
		n.mu.Unlock()
		return
	}
	n.accepted[k] = c
	n.mu.Unlock()
	n.ref()
	select {
	case l.accept <- c:
	default:
		c.die(sp.ErrClosed)
		go c.Close() // not in the reader: Close may release the node
		n.sendErr(src, h, errRefused, "too many connections waiting")
	}
}
