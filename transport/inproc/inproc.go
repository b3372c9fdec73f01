// Package inproc implements the inproc:// transport: SP between sockets of
// one process, with no bytes at all. Messages move by reference, so a body
// is not copied, with two exceptions: a message with a
// protocol header is flattened into one buffer first, as the receiving
// protocol expects (in place when the body's buffer has room in front,
// which it has for small messages), and a message shared among several
// pipes (a publisher's, say) is copied, since the receiver owns what it
// receives.
//
// A connection is its pipe's send queue: a sender appends to it from its
// own goroutine, up to sp.SendQueueLen messages (a sender that finds it
// full waits, or, for protocols that drop, the message is dropped), and a
// receiver alone on its socket takes them from it in its own goroutine
// (pair, pair1, pull), so that a message crosses with one wake-up, as over
// a bare Go channel, and no goroutine of the pipe's in between.
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
	mine, theirs := newConns(d.proto, l.proto, d.addr)
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
