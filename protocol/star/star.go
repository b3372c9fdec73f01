package star

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/core"
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
	mu    sync.RWMutex
	pipes []*core.Pipe
}

// NewSocket returns a star socket, which forwards what it receives.
func NewSocket() (sp.Socket, error) { return core.NewSocket(&star{}), nil }

// NewRawSocket returns a star socket in raw mode, for devices: it does not
// forward, Recv leaves the hop count in Header, and Send increments the hop
// count it finds there.
func NewRawSocket() (sp.Socket, error) { return core.NewSocket(&star{raw: true}), nil }

func (x *star) Init(s *core.Socket) {
	x.s = s
	core.DefineReadOnly(s.Options(), sp.Raw, x.raw)
}

func (x *star) Info() sp.ProtocolInfo {
	return sp.ProtocolInfo{Self: ProtocolID, Peer: PeerID, SelfName: ProtocolName, PeerName: PeerName}
}

func (x *star) AddPipe(p *core.Pipe) error {
	x.mu.Lock()
	x.pipes = append(x.pipes, p)
	x.mu.Unlock()
	return nil
}

func (x *star) RemovePipe(p *core.Pipe) {
	x.mu.Lock()
	defer x.mu.Unlock()
	for i, q := range x.pipes {
		if q == p {
			x.pipes = append(x.pipes[:i], x.pipes[i+1:]...)
			return
		}
	}
}

// Received checks the hop count (too short or over 0xff: close the pipe;
// over sp.MaxTTL: drop), forwards the message to every other peer with the
// count incremented (cooked mode, if that stays within sp.MaxTTL), and
// queues it for Recv if there is room.
func (x *star) Received(p *core.Pipe, m *sp.Message) {
	if closed(p) { // a message the reader had buffered before p closed
		m.Free()
		return
	}
	hop, body, ok := splitHop(m.Body)
	if !ok {
		m.Free()
		p.Close()
		return
	}
	ttl := x.s.MaxTTL()
	if int(hop) > ttl {
		m.Free()
		return
	}
	if !x.raw && int(hop) < ttl {
		f := sp.NewMessage(len(body))
		f.Header = wire.AppendUint32(f.Header, hop+1)
		f.Body = append(f.Body, body...)
		x.fanOut(f, p)
	}
	if x.raw {
		m.Header = append(m.Header[:0], m.Body[:hopSize]...)
	} else {
		m.Header = m.Header[:0]
	}
	m.Body = body
	if !x.s.RecvQ.TryPut(m) {
		m.Free()
	}
}

// fanOut queues m, shared, for every peer but skip whose queue has room,
// and consumes m.
func (x *star) fanOut(m *sp.Message, skip sp.Pipe) {
	x.mu.RLock()
	for _, p := range x.pipes {
		if sp.Pipe(p) == skip {
			continue
		}
		if !p.TrySend(m.Clone()) {
			m.Free() // that peer is slow: it loses this message
		}
	}
	x.mu.RUnlock()
	m.Free()
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
		h, err := rawHop(m.Header)
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
	m.Header = wire.AppendUint32(m.Header[:0], hop)
	x.fanOut(m, m.Pipe())
	return nil
}

// rawHop returns the hop count in a raw message's Header: an empty Header
// counts as 0 hops.
func rawHop(h []byte) (uint32, error) {
	if len(h) == 0 {
		return 0, nil
	}
	if len(h) != hopSize {
		return 0, fmt.Errorf("%w: a raw star message needs a %d-byte hop count header, not %d bytes",
			sp.ErrMalformed, hopSize, len(h))
	}
	hop := wire.Uint32(h)
	if hop > maxHop {
		return 0, fmt.Errorf("%w: hop count %#x in a raw star header is over 0xff", sp.ErrMalformed, hop)
	}
	return hop, nil
}

func (x *star) RecvMsg(ctx context.Context, timeout time.Duration) (*sp.Message, error) {
	return x.s.RecvQueued(ctx, timeout)
}

func (x *star) Close() {}

// closed reports whether p is closing.
func closed(p *core.Pipe) bool {
	select {
	case <-p.Closed():
		return true
	default:
		return false
	}
}
