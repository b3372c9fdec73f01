package sub

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/core"
)

// Protocol ids.
const (
	ProtocolID   = 0x21 // sub
	PeerID       = 0x20 // pub
	ProtocolName = "sub"
	PeerName     = "pub"
)

// SubscribeOption adds a topic: the socket (or context) receives messages
// whose body starts with it. An empty topic matches every message. A new
// socket or context has no topic and receives nothing. The Subscribe
// function sets it from a string or a []byte.
var SubscribeOption = sp.NewOption[[]byte]("sub:subscribe")

// UnsubscribeOption removes a topic added by SubscribeOption. Removing a
// topic that was never added fails with an error wrapping sp.ErrBadOption.
// The Unsubscribe function sets it from a string or a []byte.
var UnsubscribeOption = sp.NewOption[[]byte]("sub:unsubscribe")

type sub struct {
	raw bool
	s   *core.Socket

	mu     sync.RWMutex
	ctxs   map[*subCtx]struct{} // every open context, the socket's own too
	closed bool
	def    *subCtx
}

// NewSocket returns a sub socket.
func NewSocket() (sp.Socket, error) { return core.NewSocket(&sub{}), nil }

// NewRawSocket returns a sub socket in raw mode, which receives every
// message, subscribed or not.
func NewRawSocket() (sp.Socket, error) { return core.NewSocket(&sub{raw: true}), nil }

func (p *sub) Init(s *core.Socket) {
	p.s = s
	s.Delivery = core.DropWhenFull // raw sockets Deliver; contexts drop alike
	core.DefineReadOnly(s.Options(), sp.Raw, p.raw)
	p.ctxs = make(map[*subCtx]struct{})
	p.def = &subCtx{p: p, q: s.RecvQ, done: make(chan struct{})}
	p.def.tmo.Init(s)
	p.ctxs[p.def] = struct{}{}
	core.Define(s.Options(), SubscribeOption, nil, func(t []byte) error {
		p.def.subscribe(t)
		return nil
	}, false, nil)
	core.Define(s.Options(), UnsubscribeOption, nil, p.def.unsubscribe, false, nil)
}

func (p *sub) Info() sp.ProtocolInfo {
	return sp.ProtocolInfo{Self: ProtocolID, Peer: PeerID, SelfName: ProtocolName, PeerName: PeerName}
}

// OpenContext returns a context with its own topics and receive queue.
func (p *sub) OpenContext() (sp.Context, error) {
	if p.raw {
		return nil, fmt.Errorf("%w: raw sub sockets have no contexts", sp.ErrNotSupported)
	}
	c := &subCtx{p: p, q: core.NewQueue(core.Get(p.s.Options(), sp.RecvQueueLen)), done: make(chan struct{})}
	c.tmo.Init(p.s)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, sp.ErrClosed
	}
	p.ctxs[c] = struct{}{}
	return core.NewContext(p.s, c), nil
}

func (p *sub) AddPipe(*core.Pipe) error { return nil }
func (p *sub) RemovePipe(*core.Pipe)    {}

// Received gives a message to every context with a matching topic whose
// queue has room (sharing it, not copying it), and drops it for the others:
// a slow subscriber loses its own messages and never holds up the
// publisher.
func (p *sub) Received(pp *core.Pipe, m *sp.Message) {
	if p.raw {
		p.s.Deliver(pp, m)
		return
	}
	matched := false
	p.mu.RLock()
	for c := range p.ctxs {
		if !c.matches(m.Body) {
			continue
		}
		matched = true
		if !c.q.TryPut(m.Clone()) {
			m.Free() // drop the clone's reference
			p.s.Dropped(core.DropQueueFull)
		}
	}
	p.mu.RUnlock()
	if !matched {
		p.s.Dropped(core.DropNoMatch)
	}
	m.Free()
}

func (p *sub) SendMsg(_ context.Context, m *sp.Message, _ time.Duration) error {
	m.Free()
	return p.s.NotSupported("Send")
}

func (p *sub) RecvMsg(ctx context.Context, timeout time.Duration) (*sp.Message, error) {
	return p.def.recv(ctx, timeout)
}

func (p *sub) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	for c := range p.ctxs {
		c.close()
	}
}

// subCtx is a set of topics and the queue of the messages that match them:
// the socket's own, or a context's.
type subCtx struct {
	p   *sub
	q   *core.Queue
	tmo core.CtxTimeouts

	mu     sync.RWMutex
	topics [][]byte
	once   sync.Once
	done   chan struct{}
}

func (c *subCtx) subscribe(t []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, have := range c.topics {
		if bytes.Equal(have, t) {
			return
		}
	}
	c.topics = append(c.topics, append([]byte{}, t...))
}

func (c *subCtx) unsubscribe(t []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, have := range c.topics {
		if bytes.Equal(have, t) {
			c.topics = append(c.topics[:i], c.topics[i+1:]...)
			return nil
		}
	}
	return fmt.Errorf("not subscribed to %q", t)
}

func (c *subCtx) matches(b []byte) bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	for _, t := range c.topics {
		if bytes.HasPrefix(b, t) {
			return true
		}
	}
	return false
}

func (c *subCtx) recv(ctx context.Context, timeout time.Duration) (*sp.Message, error) {
	m := c.q.TryGet()
	if m == nil {
		dl := core.NewDeadline(timeout)
		defer dl.Stop()
		var err error
		if m, err = c.q.Get(ctx, &dl, c.done); err != nil {
			return nil, err
		}
	}
	return m.MakeUnique(), nil // others may hold the same message
}

// close closes the context; the caller holds p.mu.
func (c *subCtx) close() {
	c.once.Do(func() {
		close(c.done)
		if c != c.p.def {
			c.q.Close()
		}
	})
}
