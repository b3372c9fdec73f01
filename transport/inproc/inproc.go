// Package inproc implements the inproc:// transport: SP between sockets of
// one process, with no bytes at all. Messages move by reference, so a body
// is not copied, with two exceptions: a message with a protocol header is
// flattened into one buffer first, as the receiving protocol expects, and a
// message shared among several pipes (a publisher's, say) is copied, since
// the receiver owns what it receives.
//
// Addresses are inproc://name, any non-empty name. A dialer may start
// before the listener exists: it fails with sp.ErrConnRefused and retries
// until the name is bound.
//
// The transport registers itself with sp.RegisterTransport; every socket
// can use it without an import.
package inproc

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/spgo/sp"
)

func init() { sp.RegisterTransport(Transport{}) }

// Transport is the inproc transport.
type Transport struct{}

// Schemes implements sp.Transport.
func (Transport) Schemes() []string { return []string{"inproc"} }

// Addr is the net.Addr of an inproc endpoint.
type Addr string

// Network returns "inproc".
func (a Addr) Network() string { return "inproc" }

// String returns the address as a URL.
func (a Addr) String() string { return "inproc://" + string(a) }

func parse(addr string) (Addr, error) {
	name, ok := strings.CutPrefix(addr, "inproc://")
	if !ok || name == "" {
		return "", fmt.Errorf("%w: %q: want inproc://name", sp.ErrBadURL, addr)
	}
	return Addr(name), nil
}

var registry struct {
	sync.Mutex
	m map[Addr]*listener
}

// NewDialer implements sp.Transport.
func (Transport) NewDialer(addr string, cfg sp.TransportConfig) (sp.TransportDialer, error) {
	a, err := parse(addr)
	if err != nil {
		return nil, err
	}
	return &dialer{addr: a, proto: cfg.Protocol().Self}, nil
}

// NewListener implements sp.Transport.
func (Transport) NewListener(addr string, cfg sp.TransportConfig) (sp.TransportListener, error) {
	a, err := parse(addr)
	if err != nil {
		return nil, err
	}
	return &listener{addr: a, proto: cfg.Protocol().Self, accept: make(chan *conn), done: make(chan struct{})}, nil
}

type dialer struct {
	addr  Addr
	proto uint16
}

func (d *dialer) Dial(ctx context.Context) (sp.TransportConn, error) {
	registry.Lock()
	l := registry.m[d.addr]
	registry.Unlock()
	if l == nil {
		return nil, fmt.Errorf("%w: nothing listens on %s", sp.ErrConnRefused, d.addr)
	}
	a2b := make(chan *sp.Message, 16)
	b2a := make(chan *sp.Message, 16)
	p := &pair{done: make(chan struct{})}
	mine := &conn{pair: p, in: b2a, out: a2b, peer: l.proto, local: Addr(""), remote: d.addr}
	theirs := &conn{pair: p, in: a2b, out: b2a, peer: d.proto, local: d.addr, remote: Addr("")}
	select {
	case l.accept <- theirs:
		return mine, nil
	case <-l.done:
		return nil, fmt.Errorf("%w: nothing listens on %s", sp.ErrConnRefused, d.addr)
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

type listener struct {
	addr      Addr
	proto     uint16
	accept    chan *conn
	done      chan struct{}
	closeOnce sync.Once
	bound     bool
}

func (l *listener) Listen() error {
	registry.Lock()
	defer registry.Unlock()
	if registry.m == nil {
		registry.m = make(map[Addr]*listener)
	}
	if _, ok := registry.m[l.addr]; ok {
		return fmt.Errorf("%w: %s", sp.ErrAddrInUse, l.addr)
	}
	registry.m[l.addr] = l
	l.bound = true
	return nil
}

func (l *listener) Accept() (sp.TransportConn, error) {
	select {
	case c := <-l.accept:
		return c, nil
	case <-l.done:
		return nil, sp.ErrClosed
	}
}

func (l *listener) Addr() net.Addr {
	registry.Lock()
	defer registry.Unlock()
	if !l.bound {
		return nil
	}
	return l.addr
}

func (l *listener) Close() error {
	l.closeOnce.Do(func() {
		registry.Lock()
		if registry.m[l.addr] == l {
			delete(registry.m, l.addr)
		}
		registry.Unlock()
		close(l.done)
	})
	return nil
}

// pair is what the two ends of a connection share.
type pair struct {
	once sync.Once
	done chan struct{}
}

type conn struct {
	*pair
	in, out       chan *sp.Message
	peer          uint16
	local, remote Addr
}

func (c *conn) Handshake(time.Time) error { return nil }
func (c *conn) PeerProtocol() uint16      { return c.peer }
func (c *conn) LocalAddr() net.Addr       { return c.local }
func (c *conn) RemoteAddr() net.Addr      { return c.remote }
func (c *conn) Flush() error              { return nil }

func (c *conn) Close() error {
	c.once.Do(func() { close(c.done) })
	return nil
}

// Send hands m to the peer. The receiving protocol expects header and body
// in one buffer, and may change it, so a header or a shared message costs a
// copy; anything else moves as it is.
func (c *conn) Send(m *sp.Message) error {
	m = wireForm(m)
	select {
	case c.out <- m:
		return nil
	case <-c.done:
		m.Free()
		return sp.ErrClosed
	}
}

// SendNow hands m to the peer if its channel has room, from the sender's
// goroutine (the engine's direct path: an inproc pipe gains nothing from
// its writer goroutine). It reports false, leaving m to the caller, when the
// channel is full. Like Send, it must not run concurrently with Send: then
// nobody else sends on the channel, and room seen stays room.
func (c *conn) SendNow(m *sp.Message) (bool, error) {
	if len(c.out) == cap(c.out) {
		return false, nil
	}
	return true, c.Send(m)
}

// wireForm returns m as the receiving protocol expects it: header and body
// in one buffer, which it may change, so a header or a shared message costs
// a copy; anything else moves as it is.
func wireForm(m *sp.Message) *sp.Message {
	if len(m.Header) > 0 || m.Shared() {
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
func (c *conn) Buffered() bool { return len(c.in) > 0 }

func (c *conn) Recv(max int) (*sp.Message, error) {
	var m *sp.Message
	select {
	case m = <-c.in:
	case <-c.done:
		// Messages sent before the close are still delivered.
		select {
		case m = <-c.in:
		default:
			return nil, sp.ErrClosed
		}
	}
	if max > 0 && len(m.Body) > max {
		n := len(m.Body)
		m.Free()
		return nil, fmt.Errorf("%w: %d bytes, the limit is %d", sp.ErrTooLarge, n, max)
	}
	return m, nil
}
