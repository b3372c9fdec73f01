package core

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spgo/sp"
)

// endpoint is a dialer or a listener.
type endpoint interface {
	URL() string
	base() *epBase
	options() *Options
	// stop ends the endpoint's goroutines and closes its pipes; it does
	// not wait.
	stop()
	isStopped() bool
}

// epBase is what dialers and listeners share.
type epBase struct {
	s     *Socket
	url   string                 // as given
	bound atomic.Pointer[string] // a listener's url with its bound port, once listening
	opts  *Options

	ctx    context.Context // canceled by stop
	cancel context.CancelFunc
	done   chan struct{} // closed when the endpoint's goroutine exits

	mu      sync.Mutex
	started bool

	conns   conns
	retired traffic // of the endpoint's pipes that have left
}

// config is the sp.TransportConfig of an endpoint.
type config struct {
	info sp.ProtocolInfo
	*Options
}

func (c config) Protocol() sp.ProtocolInfo { return c.info }

func (b *epBase) init(s *Socket, kind, url string, opts []sp.EndpointOption) error {
	s.started.Store(true)
	b.s, b.url, b.opts, b.done = s, url, s.opts.child(kind), make(chan struct{})
	for _, o := range opts {
		if err := o.Apply(b.opts); err != nil {
			return err
		}
	}
	b.ctx, b.cancel = context.WithCancel(context.Background())
	return nil
}

// URL implements sp.Dialer and sp.Listener: the address as given, or, for a
// listener that asked for port 0, the address with the port it bound.
func (b *epBase) URL() string {
	if u := b.bound.Load(); u != nil {
		return *u
	}
	return b.url
}

func (b *epBase) base() *epBase     { return b }
func (b *epBase) options() *Options { return b.opts }
func (b *epBase) isStopped() bool   { return b.ctx.Err() != nil }

// SetOptionValue implements sp.OptionSetter.
func (b *epBase) SetOptionValue(name string, v any) error { return b.opts.SetOptionValue(name, v) }

// OptionValue implements sp.OptionGetter.
func (b *epBase) OptionValue(name string) (any, error) { return b.opts.OptionValue(name) }

// start marks the endpoint started and registers it with the socket, so
// that the socket's Close stops it.
func (b *epBase) start(op string, e endpoint) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.started {
		return &sp.OpError{Op: op, URL: b.url, Err: fmt.Errorf("%w: already started", sp.ErrBadState)}
	}
	if b.isStopped() {
		return &sp.OpError{Op: op, URL: b.url, Err: sp.ErrClosed}
	}
	b.s.mu.Lock()
	defer b.s.mu.Unlock()
	if b.s.closed {
		return &sp.OpError{Op: op, URL: b.url, Err: sp.ErrClosed}
	}
	b.started = true
	b.s.endpoints[e] = struct{}{}
	b.s.wg.Add(1)
	return nil
}

// closeEndpoint stops e, closes its pipes and waits for its goroutine.
func (b *epBase) closeEndpoint(e endpoint) error {
	e.stop()
	b.s.mu.Lock()
	if _, ok := b.s.endpoints[e]; ok {
		addDrops(&b.s.retiredDrops, transportDrops(e))
	}
	delete(b.s.endpoints, e)
	var mine []*Pipe
	for _, p := range b.s.pipes {
		if p.ep == e {
			mine = append(mine, p)
		}
	}
	b.s.mu.Unlock()
	for _, p := range mine {
		p.Close()
	}
	for _, p := range mine {
		<-p.removed // the pipe has left the socket when Close returns
	}
	b.mu.Lock()
	started := b.started
	b.mu.Unlock()
	if started {
		<-b.done
	}
	return nil
}

// handshake runs conn's handshake bounded by the handshake timeout, by ctx
// (the caller's, for a dial that waits for it) and by the endpoint's life,
// and adds the pipe.
func (b *epBase) handshake(ctx context.Context, conn sp.TransportConn, e endpoint) (*Pipe, error) {
	stop := context.AfterFunc(b.ctx, func() { conn.Close() })
	stopCaller := context.AfterFunc(ctx, func() {
		if errors.Is(ctx.Err(), context.Canceled) {
			conn.Close() // a deadline is the handshake's own (below)
		}
	})
	deadline := time.Now().Add(Get(b.opts, sp.HandshakeTimeout))
	if dl, ok := ctx.Deadline(); ok && dl.Before(deadline) {
		deadline = dl
	}
	err := conn.Handshake(deadline)
	stop()
	stopCaller()
	if err != nil {
		discardConn(conn)
		if b.isStopped() {
			return nil, sp.ErrClosed
		}
		b.count(func(c *conns) *atomic.Uint64 { return &c.handshakeFailures })
		if errors.Is(ctx.Err(), context.Canceled) {
			return nil, fmt.Errorf("%w during the handshake", context.Canceled)
		}
		return nil, contextCause(ctx, err)
	}
	return b.s.addPipe(conn, e)
}

// sleep waits d or until the endpoint stops, reporting false for the latter.
func (b *epBase) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-b.ctx.Done():
		return false
	}
}

// listener implements sp.Listener.
type listener struct {
	epBase
	tran sp.TransportListener
}

// NewListener implements sp.Socket.
func (s *Socket) NewListener(url string, opts ...sp.EndpointOption) (sp.Listener, error) {
	t, err := sp.FindTransport(url)
	if err != nil {
		return nil, &sp.OpError{Op: "listen", URL: url, Err: err}
	}
	l := &listener{}
	if err := l.init(s, "listener", url, opts); err != nil {
		return nil, &sp.OpError{Op: "listen", URL: url, Err: err}
	}
	if l.tran, err = t.NewListener(url, config{s.info, l.opts}); err != nil {
		l.cancel()
		return nil, &sp.OpError{Op: "listen", URL: url, Err: err}
	}
	return l, nil
}

// Listen implements sp.Socket.
func (s *Socket) Listen(url string, opts ...sp.EndpointOption) (sp.Listener, error) {
	l, err := s.NewListener(url, opts...)
	if err != nil {
		return nil, err
	}
	if err := l.Listen(); err != nil {
		return nil, err
	}
	return l, nil
}

// Listen implements sp.Listener.
func (l *listener) Listen() error {
	if err := l.start("listen", l); err != nil {
		return err
	}
	if err := l.tran.Listen(); err != nil {
		close(l.done)
		l.s.wg.Done()
		l.closeEndpoint(l)
		return &sp.OpError{Op: "listen", URL: l.url, Err: err}
	}
	if u := boundURL(l.url, l.tran.Addr()); u != l.url {
		l.bound.Store(&u)
	}
	go l.run()
	return nil
}

// Addr implements sp.Listener.
func (l *listener) Addr() net.Addr { return l.tran.Addr() }

// boundURL returns url with the port of addr in place of a port 0, so that
// tcp://127.0.0.1:0 reads as tcp://127.0.0.1:41327 once bound (and
// ws://host:0/path as ws://host:41327/path). A url without port 0, or an
// addr without a port, leaves url as it is.
func boundURL(url string, addr net.Addr) string {
	if addr == nil {
		return url
	}
	i := strings.Index(url, "://")
	if i < 0 {
		return url
	}
	auth := url[i+3:]
	if j := strings.IndexAny(auth, "/?#"); j >= 0 {
		auth = auth[:j]
	}
	end := i + 3 + len(auth)
	if !strings.HasSuffix(auth, ":0") {
		return url
	}
	a := addr.String()
	port := a[strings.LastIndexByte(a, ':')+1:]
	if n, err := strconv.ParseUint(port, 10, 32); err != nil || n == 0 {
		return url
	}
	return url[:end-1] + port + url[end:]
}

func (l *listener) run() {
	defer l.s.wg.Done()
	defer close(l.done)
	for {
		conn, err := l.tran.Accept()
		if err != nil {
			if l.isStopped() {
				return
			}
			// Out of descriptors, or an aborted connection: pause so
			// as not to spin, then go on accepting.
			l.s.logWarn("accept failed", "url", l.URL(), "err", err)
			if !l.sleep(10 * time.Millisecond) {
				return
			}
			continue
		}
		l.s.wg.Add(1)
		go func() {
			defer l.s.wg.Done()
			if _, err := l.handshake(context.Background(), conn, l); err != nil && !l.isStopped() {
				l.s.logWarn("peer rejected", "url", l.URL(), "peer", conn.RemoteAddr(), "err", err)
			}
		}()
	}
}

func (l *listener) stop() {
	l.cancel()
	l.tran.Close()
}

// Close implements sp.Listener.
func (l *listener) Close() error { return l.closeEndpoint(l) }
