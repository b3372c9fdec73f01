package push

import (
	"context"
	"time"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/core"
)

// Protocol ids.
const (
	ProtocolID   = 0x50 // push
	PeerID       = 0x51 // pull
	ProtocolName = "push"
	PeerName     = "pull"
)

type push struct {
	raw bool
	s   *core.Socket
	rr  core.RoundRobin
}

// NewSocket returns a push socket.
func NewSocket() (sp.Socket, error) { return core.NewSocket(&push{}), nil }

// NewRawSocket returns a push socket in raw mode. The protocol has
// no header, so it behaves as the cooked one, and reports sp.Raw.
func NewRawSocket() (sp.Socket, error) { return core.NewSocket(&push{raw: true}), nil }

func (p *push) Init(s *core.Socket) {
	p.s, p.rr.S = s, s
	core.DefineReadOnly(s.Options(), sp.Raw, p.raw)
}

func (p *push) Info() sp.ProtocolInfo {
	return sp.ProtocolInfo{Self: ProtocolID, Peer: PeerID, SelfName: ProtocolName, PeerName: PeerName}
}

func (p *push) AddPipe(pp *core.Pipe) error { p.rr.Add(pp); return nil }
func (p *push) RemovePipe(pp *core.Pipe)    { p.rr.Remove(pp) }

// Received drops what a puller sends: pull sockets send nothing.
func (p *push) Received(_ *core.Pipe, m *sp.Message) { m.Free() }

func (p *push) SendMsg(ctx context.Context, m *sp.Message, timeout time.Duration) error {
	_, err := p.rr.Send(ctx, m, timeout)
	return err
}

func (p *push) RecvMsg(context.Context, time.Duration) (*sp.Message, error) {
	return nil, p.s.NotSupported("Recv")
}

func (p *push) Close() {}
