package pair

import (
	"context"
	"fmt"
	"time"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/core"
)

// Protocol ids.
const (
	ProtocolID   = 0x10 // pair v0
	PeerID       = 0x10
	ProtocolName = "pair"
	PeerName     = "pair"
)

type pair struct {
	raw bool
	s   *core.Socket
	rr  core.RoundRobin // holds at most one pipe
}

// NewSocket returns a pair v0 socket.
func NewSocket() (sp.Socket, error) { return core.NewSocket(&pair{}), nil }

// NewRawSocket returns a pair v0 socket in raw mode. The protocol has
// no header, so it behaves as the cooked one, and reports sp.Raw.
func NewRawSocket() (sp.Socket, error) { return core.NewSocket(&pair{raw: true}), nil }

func (p *pair) Init(s *core.Socket) {
	p.s, p.rr.S = s, s
	s.ReadsInRecv = true  // Received only delivers
	s.RecvIsQueued = true // RecvMsg is RecvQueued
	core.DefineReadOnly(s.Options(), sp.Raw, p.raw)
}

func (p *pair) Info() sp.ProtocolInfo {
	return sp.ProtocolInfo{Self: ProtocolID, Peer: PeerID, SelfName: ProtocolName, PeerName: PeerName}
}

// AddPipe accepts the first peer and rejects any other while it lasts.
// The engine serializes AddPipe calls under the socket's lock.
func (p *pair) AddPipe(pp *core.Pipe) error {
	if p.rr.Len() > 0 {
		return fmt.Errorf("%w: pair socket already has a peer", sp.ErrBadState)
	}
	p.rr.Add(pp)
	return nil
}

func (p *pair) RemovePipe(pp *core.Pipe) { p.rr.Remove(pp) }

func (p *pair) Received(pp *core.Pipe, m *sp.Message) { p.s.Deliver(pp, m) }

func (p *pair) SendMsg(ctx context.Context, m *sp.Message, timeout time.Duration) error {
	_, err := p.rr.Send(ctx, m, timeout)
	return err
}

func (p *pair) RecvMsg(ctx context.Context, timeout time.Duration) (*sp.Message, error) {
	return p.s.RecvQueued(ctx, timeout)
}

func (p *pair) Close() {}
