package udp

import (
	"errors"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/stream"
)

// ep is one UDP socket and the connections it carries: a listener's many
// peers, told apart by address, or a dialer's one peer (the socket is then
// connected to it, so the kernel filters out everyone else). It runs two
// goroutines: the reader, which demultiplexes datagrams, and the keeper,
// which repeats connection requests, refreshes and drops silent peers.
// Close stops both and waits for them.
//
// Lock order: ep.mu, then conn.mu.
type ep struct {
	pc        *net.UDPConn
	connected bool // a dialer's socket: Write, not WriteTo
	set       settings
	self      uint16 // our protocol id
	peer      uint16 // the protocol id of our peer protocol
	onAccept  func(*conn)

	mu     sync.Mutex
	conns  map[netip.AddrPort]*conn
	single *conn // a dialer's connection
	closed bool
	// A listener's socket outlives the listener while connections it
	// made are open (Socket.Shutdown stops listeners first, then drains
	// the pipes): deaf is set when the listener closes, and open counts
	// the connections not yet closed; the last to go closes the socket.
	deaf bool
	open int

	wake chan struct{}
	done chan struct{}
	wg   sync.WaitGroup
}

func newEP(pc *net.UDPConn, connected bool, set settings, info sp.ProtocolInfo) *ep {
	pc.SetReadBuffer(4 << 20) // bursts; the kernel caps it
	pc.SetWriteBuffer(1 << 20)
	return &ep{
		pc:        pc,
		connected: connected,
		set:       set,
		self:      info.Self,
		peer:      info.Peer,
		conns:     make(map[netip.AddrPort]*conn),
		wake:      make(chan struct{}, 1),
		done:      make(chan struct{}),
	}
}

// start starts the reader and the keeper.
func (e *ep) start() {
	e.wg.Add(2)
	go e.reader()
	go e.keeper()
}

// close ends every connection (telling each peer, DISC 0, unless told
// already), closes the socket and waits for the goroutines.
func (e *ep) close(why error) {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		e.wg.Wait()
		return
	}
	e.closed = true
	cs := make([]*conn, 0, len(e.conns))
	for _, c := range e.conns {
		cs = append(cs, c)
	}
	clear(e.conns)
	e.mu.Unlock()
	for _, c := range cs {
		c.fail(why, true, discClosed)
	}
	close(e.done)
	e.pc.Close()
	e.wg.Wait()
}

// closed1 counts a listener's connection closed, and closes the socket if
// it was the last and the listener is gone.
func (e *ep) closed1() {
	e.mu.Lock()
	e.open--
	e.mu.Unlock()
	e.closeIfIdle()
}

// closeIfIdle closes a deaf endpoint with no open connection. It waits for
// the endpoint's goroutines, so they must never call it: only Close of the
// listener or of a connection, which the engine calls.
func (e *ep) closeIfIdle() {
	e.mu.Lock()
	idle := e.deaf && e.open == 0
	e.mu.Unlock()
	if idle {
		e.close(sp.ErrClosed)
	}
}

// write sends one datagram to a peer.
func (e *ep) write(b []byte, to netip.AddrPort) error {
	var err error
	if e.connected {
		_, err = e.pc.Write(b)
	} else {
		_, err = e.pc.WriteToUDPAddrPort(b, to)
	}
	return err
}

// control sends a datagram with no payload.
func (e *ep) control(to netip.AddrPort, h header) {
	var b [headerLen]byte
	e.write(appendHeader(b[:0], h), to)
}

// disc tells an address we have no connection with it, or no more.
func (e *ep) disc(to netip.AddrPort, reason uint16) {
	e.control(to, header{op: opDISC, proto: e.self, p0: reason})
}

func (e *ep) lookup(from netip.AddrPort) *conn {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.single != nil {
		return e.single
	}
	return e.conns[from]
}

// remove forgets c, if it is still the connection for its address.
func (e *ep) remove(c *conn) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.conns[c.raddr] == c {
		delete(e.conns, c.raddr)
	}
}

// kick wakes the keeper to look at its schedule again.
func (e *ep) kick() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// reader reads and dispatches datagrams until the socket closes.
func (e *ep) reader() {
	defer e.wg.Done()
	buf := make([]byte, 1<<16)
	for {
		n, from, err := e.pc.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			if e.connected && stream.IsRefused(err) {
				// ICMP port unreachable: nobody listens there (any
				// more).
				if c := e.lookup(from); c != nil {
					c.refused(err)
				}
				continue
			}
			// Something transient (a truncated read, say): pause as
			// nng does, so that a persistent error cannot spin.
			t := time.NewTimer(5 * time.Millisecond)
			select {
			case <-e.done:
				t.Stop()
				return
			case <-t.C:
			}
			continue
		}
		from = netip.AddrPortFrom(from.Addr().Unmap(), from.Port())
		e.handle(buf[:n], from)
	}
}

// handle acts on one datagram.
func (e *ep) handle(b []byte, from netip.AddrPort) {
	h, rest, err := parseHeader(b)
	if err != nil {
		e.set.add(func(c *Counters) *atomic.Uint64 { return &c.Malformed }) // not ours to answer
		return
	}
	switch h.op {
	case opData:
		c := e.lookup(from)
		if c == nil {
			e.set.add(func(c *Counters) *atomic.Uint64 { return &c.NoMatch })
			return
		}
		c.data(h, rest)
	case opCREQ:
		if e.connected {
			e.disc(from, discRefused) // dialers accept no one
			return
		}
		e.creq(h, from)
	case opCACK:
		if c := e.lookup(from); c != nil && c.dialer {
			c.cack(h)
		}
	case opDISC:
		if c := e.lookup(from); c != nil {
			c.fail(&DiscError{Reason: h.p0}, false, 0)
		}
	default:
		e.set.add(func(c *Counters) *atomic.Uint64 { return &c.Malformed })
		e.disc(from, discProto)
	}
}

// creq answers a connection request at a listener: a new peer gets a
// connection (unless MaxPeers are connected), a known one a refresh.
func (e *ep) creq(h header, from netip.AddrPort) {
	e.mu.Lock()
	if e.closed || e.deaf {
		e.mu.Unlock()
		return // closing down: dropped, as nng does
	}
	if c := e.conns[from]; c != nil {
		e.mu.Unlock()
		c.refreshed(h)
		return
	}
	if e.set.maxPeers > 0 && len(e.conns) >= e.set.maxPeers {
		e.mu.Unlock()
		e.set.add(func(c *Counters) *atomic.Uint64 { return &c.PeersRejected })
		e.disc(from, discNoBuf)
		return
	}
	if h.p1 == 0 {
		e.mu.Unlock()
		e.disc(from, discNego)
		return
	}
	c := newConn(e, from, false)
	c.peerProto = h.proto
	c.sndMax = int(h.p0)
	c.refresh = min(e.set.refresh, time.Duration(h.p1)*time.Second)
	c.expire = time.Now().Add(5 * c.refresh)
	close(c.hs)
	e.conns[from] = c
	e.open++
	e.mu.Unlock()
	c.sendCACK()
	e.kick()
	e.onAccept(c)
}

// keeper sends a dialer's connection requests and refreshes and drops
// connections that expired, waking when the next one is due.
func (e *ep) keeper() {
	defer e.wg.Done()
	t := time.NewTimer(time.Hour)
	defer t.Stop()
	for {
		select {
		case <-e.done:
			return
		case <-e.wake:
		case <-t.C:
		}
		now := time.Now()
		next := now.Add(time.Hour)
		e.mu.Lock()
		cs := make([]*conn, 0, len(e.conns)+1)
		if e.single != nil {
			cs = append(cs, e.single)
		}
		for _, c := range e.conns {
			cs = append(cs, c)
		}
		e.mu.Unlock()
		for _, c := range cs {
			if w := c.tick(now); w.Before(next) {
				next = w
			}
		}
		t.Reset(max(time.Until(next), time.Millisecond))
	}
}
