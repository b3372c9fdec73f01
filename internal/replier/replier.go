// Package replier is the answering side shared by rep (answering req) and
// respondent (answering surveyor): receive a request whose backtrace is kept
// behind the id of the pipe it came on, then send the answer back along that
// backtrace. The two protocols differ only in their ids and names.
package replier

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/core"
	"github.com/spgo/sp/internal/wire"
)

// Protocol is a cooked replier: the socket and each context hold the
// backtrace of the one request they answer next.
type Protocol struct {
	info  sp.ProtocolInfo
	noun  string // "request" or "survey", for errors
	s     *core.Socket
	pipes core.PipeSet

	inline atomic.Pointer[inlineServer] // Serve answering on the readers

	mu     sync.Mutex
	ctxs   map[*replyCtx]struct{}
	closed bool
	def    *replyCtx
}

// New returns a cooked replier speaking info; noun names what it answers.
func New(info sp.ProtocolInfo, noun string) *Protocol { return &Protocol{info: info, noun: noun} }

// Init implements core.Protocol.
func (r *Protocol) Init(s *core.Socket) {
	r.s = s
	r.ctxs = make(map[*replyCtx]struct{})
	r.def = r.newCtx()
	r.def.bare = true
}

// Info implements core.Protocol.
func (r *Protocol) Info() sp.ProtocolInfo { return r.info }

func (r *Protocol) newCtx() *replyCtx {
	c := &replyCtx{r: r, done: make(chan struct{})}
	c.life, c.kill = context.WithCancel(context.Background())
	c.tmo.Init(r.s)
	r.ctxs[c] = struct{}{}
	return c
}

// OpenContext implements core.ContextOpener.
func (r *Protocol) OpenContext() (sp.Context, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil, sp.ErrClosed
	}
	return core.NewContext(r.s, r.newCtx()), nil
}

// AddPipe implements core.Protocol.
func (r *Protocol) AddPipe(p *core.Pipe) error { r.pipes.Add(p); return nil }

// RemovePipe implements core.Protocol.
func (r *Protocol) RemovePipe(p *core.Pipe) { r.pipes.Remove(p) }

// Received moves the request's backtrace into the header, behind the id of
// the pipe it came from, and queues the request for Recv. A backtrace that
// never ends closes the pipe; one deeper than sp.MaxTTL is dropped.
func (r *Protocol) Received(p *core.Pipe, m *sp.Message) {
	if m = r.s.SplitBacktrace(p, m); m == nil {
		return
	}
	if is := r.inline.Load(); is != nil && is.answer(p, m) {
		return
	}
	r.s.Deliver(p, m)
}

// SendMsg implements core.Protocol.
func (r *Protocol) SendMsg(ctx context.Context, m *sp.Message, timeout time.Duration) error {
	return r.def.send(ctx, m, timeout)
}

// RecvMsg implements core.Protocol.
func (r *Protocol) RecvMsg(ctx context.Context, timeout time.Duration) (*sp.Message, error) {
	return r.def.recv(ctx, timeout)
}

// Close implements core.Protocol.
func (r *Protocol) Close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed = true
	for c := range r.ctxs {
		c.close()
	}
}

// replyCtx is the state of one request being answered: the socket's own,
// or a context's.
type replyCtx struct {
	r   *Protocol
	tmo core.CtxTimeouts

	mu     sync.Mutex
	bt     []byte // the backtrace to answer, pipe id first
	has    bool   // a request was received and not yet answered
	closed bool
	done   chan struct{}
	life   context.Context // canceled when the context closes
	kill   context.CancelFunc

	// bare: this is the socket's own state, which goroutines may share by
	// mistake. It answers one request at a time: a Recv while a request is
	// unanswered, or while another Recv waits, fails, since the next Send
	// would answer the wrong requester.
	bare    bool
	recving bool
}

func (c *replyCtx) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.closed {
		c.closed = true
		close(c.done)
		c.kill() // wakes a Send waiting for room
	}
}

func (c *replyCtx) recv(ctx context.Context, timeout time.Duration) (*sp.Message, error) {
	select {
	case <-c.done:
		return nil, sp.ErrClosed
	default:
	}
	if c.bare {
		c.mu.Lock()
		if err := c.busy(); err != nil {
			c.mu.Unlock()
			return nil, err
		}
		c.recving = true
		c.mu.Unlock()
	}
	var m *sp.Message
	if m = c.r.s.RecvQ.TryGet(); m == nil {
		dl := core.NewDeadline(timeout)
		defer dl.Stop()
		var err error
		if m, err = c.r.s.RecvQ.Get(ctx, &dl, c.done); err != nil {
			if c.bare {
				c.mu.Lock()
				c.recving = false
				c.mu.Unlock()
			}
			return nil, err
		}
	}
	c.mu.Lock()
	c.bt = append(c.bt[:0], m.Header...)
	c.has = true
	c.recving = false
	c.mu.Unlock()
	m.Header = m.Header[:0]
	return m, nil
}

// busy says why the socket itself may not receive now, or nil; under c.mu.
func (c *replyCtx) busy() error {
	switch {
	case c.recving:
		return fmt.Errorf("%w: Recv on a %s socket while another Recv waits "+
			"(goroutines that share a socket use %s.Serve or a context each)",
			sp.ErrBadState, c.r.info.SelfName, c.r.info.SelfName)
	case c.has:
		return fmt.Errorf("%w: Recv on a %s socket while the %s it received last is unanswered "+
			"(Send its answer first; goroutines that share a socket use %s.Serve or a context each)",
			sp.ErrBadState, c.r.info.SelfName, c.r.noun, c.r.info.SelfName)
	}
	return nil
}

func (c *replyCtx) send(ctx context.Context, m *sp.Message, timeout time.Duration) error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		m.Free()
		return sp.ErrClosed
	}
	if !c.has {
		c.mu.Unlock()
		m.Free()
		return fmt.Errorf("%w: Send on a %s socket answers a %s: Recv one first",
			sp.ErrBadState, c.r.info.SelfName, c.r.noun)
	}
	c.has = false
	id := wire.Uint32(c.bt)
	m.Header = append(m.Header[:0], c.bt[4:]...)
	c.mu.Unlock()

	p := c.r.pipes.Get(id)
	if p == nil {
		m.Free() // the asker is gone: it asks again elsewhere, or gave up
		c.r.s.Dropped(core.DropStale)
		return nil
	}
	if p.TrySend(m) {
		return nil
	}
	// Wait for room, until the context closes too.
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(c.life, cancel)
	defer stop()
	err := p.SendOrDrop(sctx, m, timeout)
	if err != nil && c.life.Err() != nil {
		err = fmt.Errorf("%w: the context was closed", sp.ErrClosed)
	}
	return err
}
