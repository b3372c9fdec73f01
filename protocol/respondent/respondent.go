package respondent

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
	ProtocolID   = 0x63 // respondent
	PeerID       = 0x62 // surveyor
	ProtocolName = "respondent"
	PeerName     = "surveyor"
)

type respondent struct {
	s *core.Socket

	mu     sync.Mutex
	pipes  map[uint32]*core.Pipe
	ctxs   map[*respCtx]struct{}
	closed bool
	def    *respCtx
}

// NewSocket returns a respondent socket.
func NewSocket() (sp.Socket, error) { return core.NewSocket(&respondent{}), nil }

func (r *respondent) Init(s *core.Socket) {
	r.s = s
	r.pipes = make(map[uint32]*core.Pipe)
	r.ctxs = make(map[*respCtx]struct{})
	r.def = r.newCtx()
}

func (r *respondent) Info() sp.ProtocolInfo {
	return sp.ProtocolInfo{Self: ProtocolID, Peer: PeerID, SelfName: ProtocolName, PeerName: PeerName}
}

func (r *respondent) newCtx() *respCtx {
	c := &respCtx{r: r, done: make(chan struct{})}
	c.tmo.Init(r.s)
	r.ctxs[c] = struct{}{}
	return c
}

func (r *respondent) OpenContext() (sp.Context, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil, sp.ErrClosed
	}
	return r.newCtx(), nil
}

func (r *respondent) AddPipe(p *core.Pipe) error {
	r.mu.Lock()
	r.pipes[p.ID()] = p
	r.mu.Unlock()
	return nil
}

func (r *respondent) RemovePipe(p *core.Pipe) {
	r.mu.Lock()
	delete(r.pipes, p.ID())
	r.mu.Unlock()
}

func (r *respondent) pipe(id uint32) *core.Pipe {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.pipes[id]
}

// Received moves the survey's backtrace into the header, behind the id of
// the pipe it came from, and queues the survey for Recv. A backtrace that
// never ends closes the pipe; one deeper than sp.MaxTTL is dropped.
func (r *respondent) Received(p *core.Pipe, m *sp.Message) {
	if m = r.s.SplitBacktrace(p, m); m != nil {
		r.s.Deliver(p, m)
	}
}

func (r *respondent) SendMsg(ctx context.Context, m *sp.Message, timeout time.Duration) error {
	return r.def.send(ctx, m, timeout)
}

func (r *respondent) RecvMsg(ctx context.Context, timeout time.Duration) (*sp.Message, error) {
	return r.def.recv(ctx, timeout)
}

func (r *respondent) Close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed = true
	for c := range r.ctxs {
		c.close()
	}
}

// respCtx is the state of one survey being answered: the socket's own, or
// a context's.
type respCtx struct {
	r   *respondent
	tmo core.CtxTimeouts

	mu     sync.Mutex
	bt     []byte // the backtrace to answer, pipe id first
	has    bool   // a survey was received and not yet answered
	closed bool
	done   chan struct{}
}

func (c *respCtx) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.closed {
		c.closed = true
		close(c.done)
	}
}

func (c *respCtx) recv(ctx context.Context, timeout time.Duration) (*sp.Message, error) {
	select {
	case <-c.done:
		return nil, sp.ErrClosed
	default:
	}
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

func (c *respCtx) send(ctx context.Context, m *sp.Message, timeout time.Duration) error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		m.Free()
		return sp.ErrClosed
	}
	if !c.has {
		c.mu.Unlock()
		m.Free()
		return fmt.Errorf("%w: Send on a respondent socket answers a survey: Recv one first", sp.ErrBadState)
	}
	c.has = false
	id := wire.Uint32(c.bt)
	m.Header = append(m.Header[:0], c.bt[4:]...)
	c.mu.Unlock()

	p := c.r.pipe(id)
	if p == nil {
		m.Free() // the surveyor is gone: nobody waits for this answer
		c.r.s.Dropped(core.DropStale)
		return nil
	}
	return p.SendOrDrop(ctx, m, timeout)
}
