package bus

import (
	"context"
	"time"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/core"
)

// Protocol ids.
const (
	ProtocolID   = 0x70 // bus
	PeerID       = 0x70
	ProtocolName = "bus"
	PeerName     = "bus"
)

type bus struct {
	raw   bool
	s     *core.Socket
	pipes core.PipeSet
}

// NewSocket returns a bus socket.
func NewSocket() (sp.Socket, error) { return core.NewSocket(&bus{}), nil }

// NewRawSocket returns a bus socket in raw mode, for devices. The protocol
// has no header, so it behaves as the cooked one, and reports sp.Raw.
func NewRawSocket() (sp.Socket, error) { return core.NewSocket(&bus{raw: true}), nil }

func (b *bus) Init(s *core.Socket) {
	b.s = s
	s.Delivery = core.DropWhenFull // see Received
	core.DefineReadOnly(s.Options(), sp.Raw, b.raw)
}

func (b *bus) Info() sp.ProtocolInfo {
	return sp.ProtocolInfo{Self: ProtocolID, Peer: PeerID, SelfName: ProtocolName, PeerName: PeerName}
}

func (b *bus) AddPipe(p *core.Pipe) error {
	b.pipes.Add(p)
	return nil
}

func (b *bus) RemovePipe(p *core.Pipe) { b.pipes.Remove(p) }

// Received queues m for Recv if there is room, and drops it otherwise: a
// member that does not keep up loses messages, and never holds up its
// peers.
func (b *bus) Received(p *core.Pipe, m *sp.Message) { b.s.Deliver(p, m) }

// SendMsg queues m, without copying it, for every peer but the one it came
// from (m.Pipe()) whose queue has room, and drops it for the others. It
// never blocks.
func (b *bus) SendMsg(_ context.Context, m *sp.Message, _ time.Duration) error {
	select {
	case <-b.s.Closing():
		m.Free()
		return sp.ErrClosed
	default:
	}
	if len(m.Header) > 0 { // bus has no header on the wire
		m = m.MakeUnique()
		m.Header = m.Header[:0]
	}
	from, _ := m.Pipe().(*core.Pipe)
	b.pipes.Broadcast(m, from)
	return nil
}

func (b *bus) RecvMsg(ctx context.Context, timeout time.Duration) (*sp.Message, error) {
	return b.s.RecvQueued(ctx, timeout)
}

func (b *bus) Close() {}
