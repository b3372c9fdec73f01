package rep

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/core"
	"github.com/spgo/sp/internal/wire"
)

// Protocol ids.
const (
	ProtocolID   = 0x31 // rep
	PeerID       = 0x30 // req
	ProtocolName = "rep"
	PeerName     = "req"
)

type rep struct {
	s *core.Socket

	mu     sync.Mutex
	pipes  map[uint32]*core.Pipe
	ctxs   map[*repCtx]struct{}
	closed bool
	def    *repCtx
}

// NewSocket returns a rep socket.
func NewSocket() (sp.Socket, error) { return core.NewSocket(&rep{}), nil }

func (r *rep) Init(s *core.Socket) {
	r.s = s
	r.pipes = make(map[uint32]*core.Pipe)
	r.ctxs = make(map[*repCtx]struct{})
	r.def = r.newCtx()
}

func (r *rep) Info() sp.ProtocolInfo {
	return sp.ProtocolInfo{Self: ProtocolID, Peer: PeerID, SelfName: ProtocolName, PeerName: PeerName}
}

func (r *rep) newCtx() *repCtx {
	c := &repCtx{r: r, done: make(chan struct{})}
	c.tmo.Init(r.s)
	r.ctxs[c] = struct{}{}
	return c
}

func (r *rep) OpenContext() (sp.Context, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil, sp.ErrClosed
	}
	return r.newCtx(), nil
}

func (r *rep) AddPipe(p *core.Pipe) error {
	r.mu.Lock()
	r.pipes[p.ID()] = p
	r.mu.Unlock()
	return nil
}

func (r *rep) RemovePipe(p *core.Pipe) {
	r.mu.Lock()
	delete(r.pipes, p.ID())
	r.mu.Unlock()
}

// Received moves the request's backtrace into the header, behind the id of
// the pipe it came from, and queues the request for Recv. A backtrace that
// never ends closes the pipe; one deeper than sp.MaxTTL is dropped.
func (r *rep) Received(p *core.Pipe, m *sp.Message) {
	if m = r.s.SplitBacktrace(p, m); m != nil {
		r.s.Deliver(p, m)
	}
}

func (r *rep) SendMsg(ctx context.Context, m *sp.Message, timeout time.Duration) error {
	return r.def.send(ctx, m, timeout)
}

func (r *rep) RecvMsg(ctx context.Context, timeout time.Duration) (*sp.Message, error) {
	return r.def.recv(ctx, timeout)
}

func (r *rep) Close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed = true
	for c := range r.ctxs {
		c.close()
	}
}

// repCtx is the state of one request being answered: the socket's own, or
// a context's.
type repCtx struct {
	r   *rep
	tmo core.CtxTimeouts

	mu     sync.Mutex
	bt     []byte // the backtrace to answer, pipe id first
	has    bool   // a request was received and not yet answered
	closed bool
	done   chan struct{}
}

func (c *repCtx) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.closed {
		c.closed = true
		close(c.done)
	}
}

func (c *repCtx) recv(ctx context.Context, timeout time.Duration) (*sp.Message, error) {
	var m *sp.Message
	if m = c.r.s.RecvQ.TryGet(); m == nil {
		dl := core.NewDeadline(timeout)
		defer dl.Stop()
		var err error
		if m, err = c.r.s.RecvQ.Get(ctx, &dl, c.done); err != nil {
			return nil, err
		}
	}
	c.mu.Lock()
	c.bt = append(c.bt[:0], m.Header...)
	c.has = true
	c.mu.Unlock()
	m.Header = m.Header[:0]
	return m, nil
}

func (c *repCtx) send(ctx context.Context, m *sp.Message, timeout time.Duration) error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		m.Free()
		return sp.ErrClosed
	}
	if !c.has {
		c.mu.Unlock()
		m.Free()
		return fmt.Errorf("%w: Send on a rep socket answers a request: Recv one first", sp.ErrBadState)
	}
	c.has = false
	id := wire.Uint32(c.bt)
	m.Header = append(m.Header[:0], c.bt[4:]...)
	c.mu.Unlock()

	c.r.mu.Lock()
	p := c.r.pipes[id]
	c.r.mu.Unlock()
	if p == nil {
		m.Free() // the requester is gone; it will resend elsewhere
		c.r.s.Dropped(core.DropStale)
		return nil
	}
	return p.SendOrDrop(ctx, m, timeout)
}
