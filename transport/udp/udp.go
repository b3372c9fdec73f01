package udp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"syscall"

	"github.com/spgo/sp"
)

func init() { sp.RegisterTransport(Transport{}) }

// Transport is the udp transport. It serves the schemes udp, udp4 and
// udp6. It has no state, and is safe for concurrent use.
type Transport struct{}

// Schemes implements sp.Transport.
func (Transport) Schemes() []string { return []string{"udp", "udp4", "udp6"} }

// NewDialer implements sp.Transport.
func (Transport) NewDialer(addr string, cfg sp.TransportConfig) (sp.TransportDialer, error) {
	u, err := parseURL(addr, false)
	if err != nil {
		return nil, err
	}
	return &dialer{u: u, cfg: cfg}, nil
}

type dialer struct {
	u   url
	cfg sp.TransportConfig
	own Counters // what its connections dropped (sp.DropCounter)
}

// Drops implements sp.DropCounter.
func (d *dialer) Drops() sp.Drops { return drops(&d.own) }

// Dial implements sp.TransportDialer: it resolves the host and opens a
// socket of its own, connected to the peer. The connection request goes
// out in Handshake.
func (d *dialer) Dial(ctx context.Context) (sp.TransportConn, error) {
	ip, err := resolve(ctx, d.u)
	if err != nil {
		return nil, err
	}
	raddr := netip.AddrPortFrom(ip, d.u.port)
	pc, err := net.DialUDP(d.u.network, nil, net.UDPAddrFromAddrPort(raddr))
	if err != nil {
		return nil, err
	}
	set := readSettings(d.cfg)
	set.own = &d.own
	e := newEP(pc, true, set, d.cfg.Protocol())
	c := newConn(e, raddr, true)
	e.single = c
	e.start()
	return c, nil
}

// resolve finds the peer's IP address, of the URL's family: for udp://,
// the first IPv4 address the resolver gives if there is one (there is no
// trying one address after another, as a tcp dial does, and a listener on
// udp://*:port or an IPv4 address takes IPv4), else the first.
func resolve(ctx context.Context, u url) (netip.Addr, error) {
	if ip, err := netip.ParseAddr(u.host); err == nil {
		return ip.Unmap(), nil
	}
	ips, err := net.DefaultResolver.LookupNetIP(ctx, u.ipNetwork(), u.host)
	if err != nil {
		var de *net.DNSError
		switch {
		case errors.As(err, &de) && de.IsTimeout:
			return netip.Addr{}, fmt.Errorf("%w: %w", sp.ErrTimeout, err)
		case errors.As(err, &de):
			return netip.Addr{}, fmt.Errorf("%w: %w", sp.ErrNoHost, err)
		}
		return netip.Addr{}, err
	}
	if len(ips) == 0 {
		return netip.Addr{}, fmt.Errorf("%w: udp: no address for %q", sp.ErrNoHost, u.host)
	}
	for _, ip := range ips {
		if ip.Unmap().Is4() {
			return ip.Unmap(), nil
		}
	}
	return ips[0], nil
}

// NewListener implements sp.Transport. The listener's Addr is a
// *net.UDPAddr whose Port is the one chosen for port 0.
func (Transport) NewListener(addr string, cfg sp.TransportConfig) (sp.TransportListener, error) {
	u, err := parseURL(addr, true)
	if err != nil {
		return nil, err
	}
	return &listener{u: u, cfg: cfg, ready: make(chan struct{}, 1)}, nil
}

// listener demultiplexes the peers of one UDP socket. It is safe for
// concurrent use.
type listener struct {
	u     url
	cfg   sp.TransportConfig
	ready chan struct{}

	mu      sync.Mutex
	e       *ep
	pending []*conn
	closed  bool

	own Counters // what it and its connections dropped (sp.DropCounter)
}

// Drops implements sp.DropCounter.
func (l *listener) Drops() sp.Drops { return drops(&l.own) }

// Listen implements sp.TransportListener.
func (l *listener) Listen() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return sp.ErrClosed
	}
	if l.e != nil {
		return fmt.Errorf("%w: udp: already listening", sp.ErrBadState)
	}
	laddr, err := net.ResolveUDPAddr(l.u.network, l.u.hostPort())
	if err != nil {
		return err
	}
	pc, err := net.ListenUDP(l.u.network, laddr)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return fmt.Errorf("%w: %w", sp.ErrAddrInUse, err)
		}
		return err
	}
	set := readSettings(l.cfg)
	set.own = &l.own
	e := newEP(pc, false, set, l.cfg.Protocol())
	e.onAccept = l.queue
	l.e = e
	e.start()
	return nil
}

// queue hands a new connection to Accept.
func (l *listener) queue(c *conn) {
	l.mu.Lock()
	if l.closed {
		// Made as Close ran: close it as Close would, but not here, in
		// the endpoint's reader, which closing the endpoint waits for.
		l.mu.Unlock()
		go c.Close()
		return
	}
	l.pending = append(l.pending, c)
	l.mu.Unlock()
	select {
	case l.ready <- struct{}{}:
	default:
	}
}

// Accept implements sp.TransportListener.
func (l *listener) Accept() (sp.TransportConn, error) {
	for {
		l.mu.Lock()
		if l.closed {
			l.mu.Unlock()
			return nil, fmt.Errorf("udp: accept: %w", sp.ErrClosed)
		}
		if len(l.pending) > 0 {
			c := l.pending[0]
			l.pending[0] = nil
			l.pending = l.pending[1:]
			more := len(l.pending) > 0
			l.mu.Unlock()
			if more {
				select {
				case l.ready <- struct{}{}:
				default:
				}
			}
			if c.ended() && !c.in.buffered() {
				c.Close() // the peer left before we took it, and sent nothing
				continue
			}
			// One that ended with messages queued is taken: the socket
			// reads them, then the end (a dialer that sends and shuts
			// down at once must not lose what it sent).
			return c, nil
		}
		l.mu.Unlock()
		<-l.ready
	}
}

// Addr implements sp.TransportListener: a *net.UDPAddr once listening.
func (l *listener) Addr() net.Addr {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.e == nil {
		return nil
	}
	return l.e.pc.LocalAddr()
}

// Close implements sp.TransportListener: the listener takes no new peers
// and ends the connections Accept has not returned (DISC 0). Those it
// returned ride its socket, which stays open until the last of them
// closes, so that they can still deliver what was sent (Socket.Shutdown
// stops the listeners before it drains the pipes).
func (l *listener) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	e := l.e
	l.mu.Unlock()
	if e != nil {
		e.mu.Lock()
		e.deaf = true // no new connection from here on
		e.mu.Unlock()
	}
	l.mu.Lock()
	pending := l.pending
	l.pending = nil
	l.mu.Unlock()
	select {
	case l.ready <- struct{}{}:
	default:
	}
	for _, c := range pending {
		c.Close()
	}
	if e != nil {
		e.closeIfIdle()
	}
	return nil
}
