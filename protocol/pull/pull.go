package pull

import (
	"context"
	"time"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/core"
)

// Protocol ids.
const (
	ProtocolID   = 0x51 // pull
	PeerID       = 0x50 // push
	ProtocolName = "pull"
	PeerName     = "push"
)

type pull struct {
	raw bool
	s   *core.Socket
}

// NewSocket returns a pull socket.
func NewSocket() (sp.Socket, error) { return core.NewSocket(&pull{}), nil }

// NewRawSocket returns a pull socket in raw mode. The protocol has
// no header, so it behaves as the cooked one, and reports sp.Raw.
func NewRawSocket() (sp.Socket, error) { return core.NewSocket(&pull{raw: true}), nil }

func (p *pull) Init(s *core.Socket) {
	p.s = s
	s.ReadsInRecv = true  // Received only delivers
	s.RecvIsQueued = true // RecvMsg is RecvQueued
	core.DefineReadOnly(s.Options(), sp.Raw, p.raw)
}

func (p *pull) Info() sp.ProtocolInfo {
	return sp.ProtocolInfo{Self: ProtocolID, Peer: PeerID, SelfName: ProtocolName, PeerName: PeerName}
}

func (p *pull) AddPipe(*core.Pipe) error { return nil }
func (p *pull) RemovePipe(*core.Pipe)    {}

func (p *pull) Received(pp *core.Pipe, m *sp.Message) { p.s.Deliver(pp, m) }

func (p *pull) SendMsg(_ context.Context, m *sp.Message, _ time.Duration) error {
	m.Free()
	return p.s.NotSupported("Send")
}

func (p *pull) RecvMsg(ctx context.Context, timeout time.Duration) (*sp.Message, error) {
	return p.s.RecvQueued(ctx, timeout)
}

func (p *pull) Close() {}
