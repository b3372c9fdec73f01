package pub

import (
	"context"
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
	pipes core.PipeSet
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

func (p *pub) AddPipe(pp *core.Pipe) error { p.pipes.Add(pp); return nil }

func (p *pub) RemovePipe(pp *core.Pipe) { p.pipes.Remove(pp) }

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
	p.pipes.Broadcast(m, nil)
	return nil
}

func (p *pub) RecvMsg(context.Context, time.Duration) (*sp.Message, error) {
	return nil, p.s.NotSupported("Recv")
}

func (p *pub) Close() {}
