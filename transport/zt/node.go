package zt

import (
	"fmt"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spgo/sp"
)

// nodeKey names a node: one per interface (or switch and node id) and
// network in a process.
type nodeKey struct {
	sw    *MemorySwitch
	iface string
	nwid  uint64
	node  uint64 // with a switch
}

// connKey names a listener's connection: the peer's node and port, and
// the listener's port.
type connKey struct {
	rnode        uint64
	rport, lport uint32
}

// node is this process's presence on one network: a link, the goroutine
// that reads it, and the ports of the listeners and connections on it.
// Endpoints share it and count references to it; the last one to go
// closes the link and waits for the reader.
type node struct {
	key     nodeKey
	link    Link
	id      uint64
	nwid    uint64
	mac     [6]byte
	refs    int // guarded by registry
	closing atomic.Bool
	done    chan struct{} // closed when the reader exits

	mu        sync.Mutex
	listeners map[uint32]*listener
	dialed    map[uint32]*conn // by local port
	accepted  map[connKey]*conn
	nextEph   uint32
}

var registry struct {
	sync.Mutex
	m map[nodeKey]*node
}

// acquire returns the node for network nwid under settings s, opening it
// if needed, with one more reference.
func acquire(s settings, nwid uint64) (*node, error) {
	key := nodeKey{sw: s.sw, iface: s.iface, nwid: nwid}
	if s.sw != nil {
		if s.localNode == 0 {
			return nil, fmt.Errorf("zt: a memory switch needs zt.LocalNode set")
		}
		key.iface, key.node = "", s.localNode
	} else if key.iface == "" {
		name, err := findInterface(nwid)
		if err != nil {
			return nil, err
		}
		key.iface = name
	}
	registry.Lock()
	defer registry.Unlock()
	if n := registry.m[key]; n != nil {
		if s.localNode != 0 && s.localNode != n.id {
			return nil, fmt.Errorf("zt: zt.LocalNode is %010x, but interface %s is node %010x", s.localNode, key.iface, n.id)
		}
		n.refs++
		return n, nil
	}
	n := &node{key: key, nwid: nwid, done: make(chan struct{}), refs: 1,
		listeners: make(map[uint32]*listener), dialed: make(map[uint32]*conn),
		accepted: make(map[connKey]*conn), nextEph: ephemeralBase + rand.Uint32N(maxPort-ephemeralBase)}
	var err error
	if s.sw != nil {
		n.link, err = s.sw.NewLink(s.localNode, nwid)
	} else {
		n.link, err = OpenPacketLink(key.iface)
	}
	if err != nil {
		return nil, err
	}
	n.mac = n.link.MAC()
	id, ok := nodeFor(n.mac, nwid)
	if !ok {
		n.link.Close()
		return nil, fmt.Errorf("%w: interface %s's MAC %v is not a MAC of ZeroTier network %016x",
			errNoInterface, key.iface, net.HardwareAddr(n.mac[:]), nwid)
	}
	if s.localNode != 0 && s.localNode != id {
		n.link.Close()
		return nil, fmt.Errorf("zt: zt.LocalNode is %010x, but interface %s is node %010x", s.localNode, key.iface, id)
	}
	n.id = id
	if registry.m == nil {
		registry.m = make(map[nodeKey]*node)
	}
	registry.m[key] = n
	go n.read()
	return n, nil
}

// ref adds a reference to a node that has one already.
func (n *node) ref() {
	registry.Lock()
	n.refs++
	registry.Unlock()
}

// release drops a reference; the last one closes the node and waits for
// its reader to exit. It must not be called by the reader.
func (n *node) release() {
	registry.Lock()
	n.refs--
	last := n.refs == 0
	if last {
		delete(registry.m, n.key)
	}
	registry.Unlock()
	if last {
		n.closing.Store(true)
		n.link.Close()
		<-n.done
	}
}

// mtu returns the MTU a connection uses, given the option's value.
func (n *node) mtu(opt int) int {
	m := n.link.MTU()
	if opt > 0 && opt < m {
		m = opt
	}
	return m
}

// read dispatches the link's frames until the link closes.
func (n *node) read() {
	defer close(n.done)
	buf := make([]byte, 65536)
	for {
		k, src, err := n.link.ReadFrame(buf)
		if err != nil {
			if n.closing.Load() {
				return
			}
			time.Sleep(100 * time.Millisecond) // the interface may be down for a while
			continue
		}
		n.dispatch(src, buf[:k], false)
	}
}

// send sends a frame to the node with MAC dst; a frame to this node is
// dispatched at once, in the caller's goroutine.
func (n *node) send(dst [6]byte, frame []byte) error {
	if dst == n.mac {
		n.dispatch(n.mac, frame, true)
		return nil
	}
	return n.link.WriteFrame(dst, frame)
}

// sendErr answers a frame with an ERR frame.
func (n *node) sendErr(dst [6]byte, h header, code byte, text string) {
	n.send(dst, appendErr(nil, header{op: opErr, dst: h.src, src: h.dst}, code, text))
}

// dispatch hands a received frame to its connection or listener; local
// says that it comes from a sender in this process rather than from the
// node's reader. frame is only valid during the call.
func (n *node) dispatch(src [6]byte, frame []byte, local bool) {
	h, err := parseHeader(frame)
	if err != nil {
		return
	}
	rnode, ok := nodeFor(src, n.nwid)
	if !ok {
		return
	}
	n.mu.Lock()
	c := n.dialed[h.dst]
	if c != nil && (c.rnode != rnode || c.rport != h.src) {
		c = nil
	}
	if c == nil {
		c = n.accepted[connKey{rnode, h.src, h.dst}]
	}
	var l *listener
	if c == nil {
		l = n.listeners[h.dst]
	}
	n.mu.Unlock()
	switch {
	case c != nil:
		c.handle(h, frame, local)
	case l != nil:
		l.handle(src, rnode, h, frame)
	case h.op == opConnReq:
		n.sendErr(src, h, errRefused, fmt.Sprintf("nothing listens on port %d", h.dst))
	case h.op == opData || h.op == opPing:
		n.sendErr(src, h, errNoSession, "no such connection")
	}
}

// portFree reports whether port is unused; n.mu is held.
func (n *node) portFree(port uint32) bool {
	_, l := n.listeners[port]
	_, d := n.dialed[port]
	return !l && !d
}

// ephemeral picks an unused ephemeral port; n.mu is held.
func (n *node) ephemeral() (uint32, error) {
	for range maxPort - ephemeralBase + 1 {
		p := n.nextEph
		n.nextEph++
		if n.nextEph > maxPort {
			n.nextEph = ephemeralBase
		}
		if n.portFree(p) {
			return p, nil
		}
	}
	return 0, fmt.Errorf("%w: no free ephemeral zt port", sp.ErrAddrInUse)
}

// bindListener gives l port (or an ephemeral one for 0) and returns it.
func (n *node) bindListener(l *listener, port uint32) (uint32, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if port == 0 {
		p, err := n.ephemeral()
		if err != nil {
			return 0, err
		}
		port = p
	} else if !n.portFree(port) {
		return 0, fmt.Errorf("%w: zt port %d of node %010x", sp.ErrAddrInUse, port, n.id)
	}
	n.listeners[port] = l
	return port, nil
}

func (n *node) unbindListener(port uint32, l *listener) {
	n.mu.Lock()
	if n.listeners[port] == l {
		delete(n.listeners, port)
	}
	n.mu.Unlock()
}

// addDialed gives a dialer's connection an ephemeral port.
func (n *node) addDialed(c *conn) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	p, err := n.ephemeral()
	if err != nil {
		return err
	}
	c.lport = p
	n.dialed[p] = c
	return nil
}

// remove forgets a connection.
func (n *node) remove(c *conn) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if c.accepted {
		k := connKey{c.rnode, c.rport, c.lport}
		if n.accepted[k] == c {
			delete(n.accepted, k)
		}
	} else if n.dialed[c.lport] == c {
		delete(n.dialed, c.lport)
	}
}
