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

// Subscribe adds a topic: the socket receives messages whose body starts
// with it. An empty topic matches every message. A new socket has no topic
// and receives nothing.
var Subscribe = sp.NewOption[[]byte]("sub:subscribe")

// Unsubscribe removes a topic added by Subscribe. Removing a topic that was
// never added fails with an error wrapping sp.ErrBadOption.
var Unsubscribe = sp.NewOption[[]byte]("sub:unsubscribe")

type sub struct {
	raw    bool
	s      *core.Socket
	mu     sync.RWMutex
	topics [][]byte
}

// NewSocket returns a sub socket.
func NewSocket() (sp.Socket, error) { return core.NewSocket(&sub{}), nil }

// NewRawSocket returns a sub socket in raw mode, which receives every
// message, subscribed or not.
func NewRawSocket() (sp.Socket, error) { return core.NewSocket(&sub{raw: true}), nil }

func (p *sub) Init(s *core.Socket) {
	p.s = s
	core.DefineReadOnly(s.Options(), sp.Raw, p.raw)
	core.Define(s.Options(), Subscribe, nil, func(t []byte) error {
		p.subscribe(t)
		return nil
	}, false, nil)
	core.Define(s.Options(), Unsubscribe, nil, p.unsubscribe, false, nil)
}

func (p *sub) subscribe(t []byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, have := range p.topics {
		if bytes.Equal(have, t) {
			return
		}
	}
	p.topics = append(p.topics, append([]byte{}, t...))
}

func (p *sub) unsubscribe(t []byte) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, have := range p.topics {
		if bytes.Equal(have, t) {
			p.topics = append(p.topics[:i], p.topics[i+1:]...)
			return nil
		}
	}
	return fmt.Errorf("not subscribed to %q", t)
}

func (p *sub) matches(b []byte) bool {
	p.mu.RLock()
	defer p.mu.RUnlock()
	for _, t := range p.topics {
		if bytes.HasPrefix(b, t) {
			return true
		}
	}
	return false
}

func (p *sub) Info() sp.ProtocolInfo {
	return sp.ProtocolInfo{Self: ProtocolID, Peer: PeerID, SelfName: ProtocolName, PeerName: PeerName}
}

func (p *sub) AddPipe(*core.Pipe) error { return nil }
func (p *sub) RemovePipe(*core.Pipe)    {}

// Received keeps a message that matches a topic if the receive queue has
// room, and drops it otherwise: a slow subscriber loses its own messages and
// never holds up the publisher.
func (p *sub) Received(_ *core.Pipe, m *sp.Message) {
	if (!p.raw && !p.matches(m.Body)) || !p.s.RecvQ.TryPut(m) {
		m.Free()
	}
}

func (p *sub) SendMsg(_ context.Context, m *sp.Message, _ time.Duration) error {
	m.Free()
	return p.s.NotSupported("Send")
}

func (p *sub) RecvMsg(ctx context.Context, timeout time.Duration) (*sp.Message, error) {
	return p.s.RecvQueued(ctx, timeout)
}

func (p *sub) Close() {}
