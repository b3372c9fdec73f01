package bus

import (
	"context"
	"sync"
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
	mu    sync.RWMutex
	pipes []*core.Pipe
}

// NewSocket returns a bus socket.
func NewSocket() (sp.Socket, error) { return core.NewSocket(&bus{}), nil }

// NewRawSocket returns a bus socket in raw mode, for devices. The protocol
// has no header, so it behaves as the cooked one, and reports sp.Raw.
func NewRawSocket() (sp.Socket, error) { return core.NewSocket(&bus{raw: true}), nil }

func (b *bus) Init(s *core.Socket) {
	b.s = s
	core.DefineReadOnly(s.Options(), sp.Raw, b.raw)
}

func (b *bus) Info() sp.ProtocolInfo {
	return sp.ProtocolInfo{Self: ProtocolID, Peer: PeerID, SelfName: ProtocolName, PeerName: PeerName}
}

func (b *bus) AddPipe(p *core.Pipe) error {
	b.mu.Lock()
	b.pipes = append(b.pipes, p)
	b.mu.Unlock()
	return nil
}

func (b *bus) RemovePipe(p *core.Pipe) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for i, q := range b.pipes {
		if q == p {
			b.pipes = append(b.pipes[:i], b.pipes[i+1:]...)
			return
		}
	}
}

// Received queues m for Recv if there is room, and drops it otherwise: a
// member that does not keep up loses messages, and never holds up its
// peers.
func (b *bus) Received(p *core.Pipe, m *sp.Message) {
	if closed(p) || !b.s.RecvQ.TryPut(m) {
		m.Free()
	}
}

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
	from := m.Pipe()
	b.mu.RLock()
	for _, p := range b.pipes {
		if sp.Pipe(p) == from {
			continue
		}
		if !p.TrySend(m.Clone()) {
			m.Free() // that peer is slow: it loses this message
		}
	}
	b.mu.RUnlock()
	m.Free()
	return nil
}

func (b *bus) RecvMsg(ctx context.Context, timeout time.Duration) (*sp.Message, error) {
	return b.s.RecvQueued(ctx, timeout)
}

func (b *bus) Close() {}

// closed reports whether p is closing. The engine's reader may still hand
// over messages it had buffered when the pipe was closed; they are dropped.
func closed(p *core.Pipe) bool {
	select {
	case <-p.Closed():
		return true
	default:
		return false
	}
}
