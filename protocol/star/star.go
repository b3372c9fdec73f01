package star

import (
	"context"
	"fmt"
	"time"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/core"
	"github.com/spgo/sp/internal/msgtrack"
	"github.com/spgo/sp/internal/wire"
)

// Protocol ids: mangos' experimental star protocol, 100<<4.
const (
	ProtocolID   = 0x640 // star
	PeerID       = 0x640
	ProtocolName = "star"
	PeerName     = "star"
)

type star struct {
	raw   bool
	s     *core.Socket
	pipes core.PipeSet
}

// NewSocket returns a star socket, which forwards what it receives.
func NewSocket() (sp.Socket, error) { return core.NewSocket(&star{}), nil }

// NewRawSocket returns a star socket in raw mode, for devices: it does not
// forward, Recv leaves the hop count in Header, and Send increments the hop
// count it finds there.
func NewRawSocket() (sp.Socket, error) { return core.NewSocket(&star{raw: true}), nil }

func (x *star) Init(s *core.Socket) {
	x.s = s
	s.Delivery = core.DropWhenFull // a slow member never holds up the others
	core.DefineReadOnly(s.Options(), sp.Raw, x.raw)
}

func (x *star) Info() sp.ProtocolInfo {
	return sp.ProtocolInfo{Self: ProtocolID, Peer: PeerID, SelfName: ProtocolName, PeerName: PeerName}
}

func (x *star) AddPipe(p *core.Pipe) error {
	x.pipes.Add(p)
	return nil
}

func (x *star) RemovePipe(p *core.Pipe) { x.pipes.Remove(p) }

// Received checks the hop count (too short or over 0xff: close the pipe;
// over sp.MaxTTL: drop), forwards the message to every other peer with the
// count incremented (cooked mode, if that stays within sp.MaxTTL), and
// queues it for Recv if there is room.
func (x *star) Received(p *core.Pipe, m *sp.Message) {
	hop, body, ok := wire.SplitHop(m.Body)
	if !ok {
		m.Free()
		p.CloseWith(fmt.Errorf("%w: star hop count header missing or over 0xff", sp.ErrMalformed))
		return
	}
	ttl := x.s.MaxTTL()
	if int(hop) > ttl {
		m.Free()
		x.s.Dropped(core.DropTTL)
		return
	}
	if !x.raw && int(hop) < ttl {
		f := sp.NewMessage(len(body))
		msgtrack.ToLibrary(f)
		f.Header = wire.AppendHop(f.Header, hop+1)
		f.Body = append(f.Body, body...)
		x.pipes.Broadcast(f, p)
	}
	if x.raw {
		m.Header = wire.AppendHop(m.Header[:0], hop)
	} else {
		m.Header = m.Header[:0]
	}
	m.Body = body
	x.s.Deliver(p, m)
}

// SendMsg stamps the hop count (1 in cooked mode, the Header's count plus
// one in raw mode) and queues m for every peer but the one it came from
// (m.Pipe()). It never blocks.
func (x *star) SendMsg(_ context.Context, m *sp.Message, _ time.Duration) error {
	select {
	case <-x.s.Closing():
		m.Free()
		return sp.ErrClosed
	default:
	}
	hop := uint32(1)
	if x.raw {
		h, err := wire.RawHop(m.Header)
		if err != nil {
			m.Free()
			return err
		}
		hop = h + 1
	}
	if int(hop) > x.s.MaxTTL() {
		m.Free() // every peer would drop it
		return nil
	}
	m = m.MakeUnique()
	m.Header = wire.AppendHop(m.Header[:0], hop)
	from, _ := m.Pipe().(*core.Pipe)
	x.pipes.Broadcast(m, from)
	return nil
}

func (x *star) RecvMsg(ctx context.Context, timeout time.Duration) (*sp.Message, error) {
	return x.s.RecvQueued(ctx, timeout)
}

func (x *star) Close() {}
