package pub

import (
	"context"
	"sync"
	"time"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/core"
)

// Protocol ids.
const (
	ProtocolID   = 0x20 // pub
	PeerID       = 0x21 // sub
	ProtocolName = "pub"
	PeerName     = "sub"
)

type pub struct {
	raw   bool
	s     *core.Socket
	mu    sync.RWMutex
	pipes []*core.Pipe
}

// NewSocket returns a pub socket.
func NewSocket() (sp.Socket, error) { return core.NewSocket(&pub{}), nil }

// NewRawSocket returns a pub socket in raw mode. The protocol has
// no header, so it behaves as the cooked one, and reports sp.Raw.
func NewRawSocket() (sp.Socket, error) { return core.NewSocket(&pub{raw: true}), nil }

func (p *pub) Init(s *core.Socket) {
	p.s = s
	core.DefineReadOnly(s.Options(), sp.Raw, p.raw)
}

func (p *pub) Info() sp.ProtocolInfo {
	return sp.ProtocolInfo{Self: ProtocolID, Peer: PeerID, SelfName: ProtocolName, PeerName: PeerName}
}

func (p *pub) AddPipe(pp *core.Pipe) error {
	p.mu.Lock()
	p.pipes = append(p.pipes, pp)
	p.mu.Unlock()
	return nil
}

func (p *pub) RemovePipe(pp *core.Pipe) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, q := range p.pipes {
		if q == pp {
			p.pipes = append(p.pipes[:i], p.pipes[i+1:]...)
			return
		}
	}
}

// Received drops what a subscriber sends: sub sockets send nothing.
func (p *pub) Received(_ *core.Pipe, m *sp.Message) { m.Free() }

// SendMsg queues m, without copying it, for every subscriber whose queue
// has room, and drops it for the others. It never blocks.
func (p *pub) SendMsg(_ context.Context, m *sp.Message, _ time.Duration) error {
	select {
	case <-p.s.Closing():
		m.Free()
		return sp.ErrClosed
	default:
	}
	p.mu.RLock()
	for _, pp := range p.pipes {
		if !pp.TrySend(m.Clone()) {
			m.Free() // that subscriber is slow: it loses this message
		}
	}
	p.mu.RUnlock()
	m.Free()
	return nil
}

func (p *pub) RecvMsg(context.Context, time.Duration) (*sp.Message, error) {
	return nil, p.s.NotSupported("Recv")
}

func (p *pub) Close() {}
