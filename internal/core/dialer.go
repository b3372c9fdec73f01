package core

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"sync/atomic"
	"time"

	"github.com/spgo/sp"
)

// StableAfter is how long a dialer's pipe must live for the dialer's
// backoff to start again from sp.ReconnectMin once it is lost. A pipe lost
// sooner (a peer that closes at once, say because our messages exceed its
// RecvMaxSize, or a hook that rejects us) counts as a failed attempt: the
// waits keep doubling up to sp.ReconnectMax, as when connecting fails.
const StableAfter = time.Second

// dialer implements sp.Dialer.
type dialer struct {
	epBase
	tran sp.TransportDialer
}

// NewDialer implements sp.Socket.
func (s *Socket) NewDialer(url string, opts ...sp.EndpointOption) (sp.Dialer, error) {
	d, err := s.newDialer(url, opts)
	if err != nil {
		return nil, err // not a nil *dialer in a non-nil sp.Dialer
	}
	return d, nil
}

func (s *Socket) newDialer(url string, opts []sp.EndpointOption) (*dialer, error) {
	t, err := sp.FindTransport(url)
	if err != nil {
		return nil, &sp.OpError{Op: "dial", URL: url, Err: err}
	}
	d := &dialer{}
	if err := d.init(s, "dialer", url, opts); err != nil {
		return nil, &sp.OpError{Op: "dial", URL: url, Err: err}
	}
	if d.tran, err = t.NewDialer(url, config{s.info, d.opts}); err != nil {
		d.cancel()
		return nil, &sp.OpError{Op: "dial", URL: url, Err: err}
	}
	return d, nil
}

// Dial implements sp.Socket.
func (s *Socket) Dial(url string, opts ...sp.EndpointOption) error {
	d, err := s.newDialer(url, opts)
	if err != nil {
		return err
	}
	return d.Dial()
}

// DialContext implements sp.Socket.
func (s *Socket) DialContext(ctx context.Context, url string, opts ...sp.EndpointOption) error {
	d, err := s.newDialer(url, opts)
	if err != nil {
		return err
	}
	return d.DialContext(ctx)
}

// Dial implements sp.Dialer.
func (d *dialer) Dial() error {
	if Get(d.opts, sp.DialSync) {
		return d.DialContext(context.Background())
	}
	if err := d.start("dial", d); err != nil {
		return err
	}
	go d.run(nil)
	return nil
}

// DialContext implements sp.Dialer: the first attempt happens now, bounded
// by ctx; on success the dialer goes on in the background, on failure it
// stops.
func (d *dialer) DialContext(ctx context.Context) error {
	if ctx == nil {
		ctx = context.Background()
	}
	if err := d.start("dial", d); err != nil {
		return err
	}
	p, err := d.connect(ctx)
	if err != nil {
		close(d.done)
		d.s.wg.Done()
		d.closeEndpoint(d)
		return &sp.OpError{Op: "dial", URL: d.url, Err: err}
	}
	go d.run(p)
	return nil
}

// connect makes one attempt. The connection, and then the handshake, must
// each succeed within the handshake timeout, before ctx ends and before the
// dialer stops.
func (d *dialer) connect(ctx context.Context) (*Pipe, error) {
	cctx, cancel := context.WithTimeout(ctx, Get(d.opts, sp.HandshakeTimeout))
	stop := context.AfterFunc(d.ctx, cancel)
	conn, err := d.tran.Dial(cctx)
	stop()
	cancel()
	if err != nil {
		if d.isStopped() {
			return nil, sp.ErrClosed
		}
		d.count(func(c *conns) *atomic.Uint64 { return &c.dialFailures })
		return nil, dialError(ctx, err)
	}
	return d.handshake(ctx, conn, d)
}

// dialError puts a failed connection in sp's vocabulary: a timeout (the
// operating system's, the handshake timeout's or ctx's deadline) wraps
// sp.ErrTimeout, a name that does not resolve sp.ErrNoHost, and a canceled
// ctx context.Canceled. Transports already map a refused connection to
// sp.ErrConnRefused.
func dialError(ctx context.Context, err error) error {
	var dns *net.DNSError
	var t interface{ Timeout() bool }
	switch {
	case errors.Is(err, sp.ErrTimeout), errors.Is(err, sp.ErrConnRefused), errors.Is(err, sp.ErrNoHost):
		return err
	case errors.Is(ctx.Err(), context.Canceled):
		return contextCause(ctx, err)
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &t) && t.Timeout():
		return fmt.Errorf("%w connecting: %w", sp.ErrTimeout, err)
	case errors.As(err, &dns):
		return fmt.Errorf("%w: %w", sp.ErrNoHost, err)
	}
	return contextCause(ctx, err)
}

// contextCause returns err, a failure while ctx may have ended, so that it
// matches ctx's end (as sp.ContextError puts it) when ctx has ended.
func contextCause(ctx context.Context, err error) error {
	cerr := sp.ContextError(ctx)
	if cerr == nil || errors.Is(err, cerr) {
		return err
	}
	return fmt.Errorf("%w: %w", cerr, err)
}

// run keeps the dialer connected until it stops; p is the pipe of a first
// attempt made by DialContext, or nil.
func (d *dialer) run(p *Pipe) {
	defer d.s.wg.Done()
	defer close(d.done)
	min := Get(d.opts, sp.ReconnectMin)
	backoff := min
	// next returns the wait before the next attempt and doubles backoff
	// for the one after, up to ReconnectMax.
	next := func() time.Duration {
		w := jitter(backoff)
		backoff = min2(backoff*2, Get(d.opts, sp.ReconnectMax), min)
		return w
	}
	for {
		if p == nil {
			var err error
			p, err = d.connect(context.Background())
			if err != nil {
				if d.isStopped() {
					return
				}
				w := next()
				d.s.logInfo("dial failed", "url", d.url, "err", err, "retry", w)
				if !d.sleep(w) {
					return
				}
				continue
			}
		}
		born := time.Now()
		select {
		case <-p.removed:
		case <-d.ctx.Done():
			return
		}
		p = nil
		if time.Since(born) >= StableAfter {
			backoff = min
		}
		if !d.sleep(next()) {
			return
		}
	}
}

// jitter returns a duration in [d/2, d].
func jitter(d time.Duration) time.Duration {
	if d < 2 {
		return d
	}
	return d/2 + rand.N(d/2+1)
}

func min2(d, max, min time.Duration) time.Duration {
	if d > max {
		d = max
	}
	if d < min {
		d = min
	}
	return d
}

func (d *dialer) stop() { d.cancel() }

// Close implements sp.Dialer.
func (d *dialer) Close() error { return d.closeEndpoint(d) }
