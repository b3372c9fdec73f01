package pair1

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/core"
	"github.com/spgo/sp/internal/wire"
)

// Protocol ids.
const (
	ProtocolID   = 0x11 // pair v1
	PeerID       = 0x11
	ProtocolName = "pair1"
	PeerName     = "pair1"
)

type pair1 struct {
	raw  bool
	s    *core.Socket
	poly atomic.Bool

	mu    sync.Mutex
	pipes []*core.Pipe // in the order they joined: pipes[0] is the oldest

	// view is a copy of pipes for senders, replaced (never changed) under
	// mu, so that a send takes no lock to find its peer.
	view atomic.Pointer[[]*core.Pipe]
}

// publish refreshes view after a change of pipes, under mu.
func (x *pair1) publish() {
	v := append([]*core.Pipe(nil), x.pipes...)
	x.view.Store(&v)
}

// NewSocket returns a monogamous pair1 socket: one peer at a time.
func NewSocket() (sp.Socket, error) { return core.NewSocket(&pair1{}), nil }

// NewRawSocket returns a pair1 socket in raw mode: Recv leaves the hop
// count in Header, and Send increments the hop count it finds there.
func NewRawSocket() (sp.Socket, error) { return core.NewSocket(&pair1{raw: true}), nil }

// NewPolySocket returns a polyamorous pair1 socket: NewSocket with
// Polyamorous set.
func NewPolySocket() (sp.Socket, error) {
	s := core.NewSocket(&pair1{})
	if err := sp.SetOption(s, Polyamorous, true); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func (x *pair1) Init(s *core.Socket) {
	x.s = s
	s.ReadsInRecv = true  // Received delivers, drops or closes the pipe; it never blocks
	s.RecvIsQueued = true // RecvMsg is RecvQueued
	core.DefineReadOnly(s.Options(), sp.Raw, x.raw)
	core.Define(s.Options(), Polyamorous, false, func(bool) error {
		if s.Started() {
			return fmt.Errorf("%w: it can only be set before the first Dial or Listen", sp.ErrBadState)
		}
		return nil
	}, false, x.poly.Store)
}

func (x *pair1) Info() sp.ProtocolInfo {
	return sp.ProtocolInfo{Self: ProtocolID, Peer: PeerID, SelfName: ProtocolName, PeerName: PeerName}
}

// AddPipe accepts any peer in polyamorous mode; otherwise it accepts the
// first and refuses others while it lasts. The engine serializes AddPipe
// calls under the socket's lock.
func (x *pair1) AddPipe(p *core.Pipe) error {
	x.mu.Lock()
	if !x.poly.Load() && len(x.pipes) > 0 {
		x.mu.Unlock()
		return fmt.Errorf("%w: pair1 socket already has a peer (set pair1.Polyamorous for many)", sp.ErrBadState)
	}
	x.pipes = append(x.pipes, p)
	x.publish()
	x.mu.Unlock()
	x.s.Room.Broadcast() // wake senders waiting for a peer
	return nil
}

func (x *pair1) RemovePipe(p *core.Pipe) {
	x.mu.Lock()
	defer x.mu.Unlock()
	for i, q := range x.pipes {
		if q == p {
			x.pipes = append(x.pipes[:i], x.pipes[i+1:]...)
			x.publish()
			return
		}
	}
}

// Received checks the hop count: a message too short for it, or whose
// count is over 0xff, closes the pipe; one that has made more than
// sp.MaxTTL hops is dropped. Cooked mode strips the header; raw mode keeps
// it in Header, as received.
func (x *pair1) Received(p *core.Pipe, m *sp.Message) {
	hop, body, ok := wire.SplitHop(m.Body)
	if !ok {
		m.Free()
		p.CloseWith(fmt.Errorf("%w: pair1 hop count header missing or over 0xff", sp.ErrMalformed))
		return
	}
	if int(hop) > x.s.MaxTTL() {
		m.Free()
		x.s.Dropped(core.DropTTL)
		return
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
// one in raw mode) and sends m: to the pipe it names in polyamorous mode,
// else to the peer, or the oldest peer, waiting for one with room.
func (x *pair1) SendMsg(ctx context.Context, m *sp.Message, timeout time.Duration) error {
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
		m.Free() // the peer would drop it
		return nil
	}
	m = m.MakeUnique()
	m.Header = wire.AppendHop(m.Header[:0], hop)
	if x.poly.Load() {
		if p, ours := x.addressed(m.Pipe()); ours {
			if p == nil { // that peer has gone
				m.Free()
				return nil
			}
			return p.SendOrDrop(ctx, m, timeout)
		}
	}
	return x.sendOldest(ctx, m, timeout)
}

// addressed reports whether pp is a pipe of this socket, and returns it if
// it is still joined (nil if it has gone).
func (x *pair1) addressed(pp sp.Pipe) (*core.Pipe, bool) {
	p, ok := pp.(*core.Pipe)
	if !ok || p.Socket() != x.s {
		return nil, false
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, q := range x.pipes {
		if q == p {
			return p, true
		}
	}
	return nil, true
}

// oldest returns the oldest pipe that is not closing, or nil.
func (x *pair1) oldest() *core.Pipe {
	v := x.view.Load()
	if v == nil {
		return nil
	}
	for _, p := range *v {
		if !p.IsClosed() {
			return p
		}
	}
	return nil
}

// sendOldest queues m for the oldest peer, waiting for a peer and for room
// in its queue. If that peer leaves meanwhile, the next one gets m.
func (x *pair1) sendOldest(ctx context.Context, m *sp.Message, timeout time.Duration) error {
	if p := x.oldest(); p != nil && p.TrySend(m) {
		return nil
	}
	dl := core.NewDeadline(timeout)
	defer dl.Stop()
	for {
		joined := x.s.Room.Chan()
		if p := x.oldest(); p != nil {
			if p.TrySend(m) {
				return nil
			}
			err := p.Send(ctx, m, &dl)
			if err == nil {
				return nil
			}
			if !errors.Is(err, sp.ErrClosed) || err == core.ErrStopped {
				m.Free()
				return err
			}
			continue // that peer left: try the next, or wait
		}
		select {
		case <-joined:
		case <-ctx.Done():
			m.Free()
			return sp.ContextError(ctx)
		case <-dl.C():
			m.Free()
			return sp.ErrTimeout
		case <-x.s.Stopped():
			m.Free()
			return core.ErrStopped
		case <-x.s.Closing():
			m.Free()
			return sp.ErrClosed
		}
	}
}

func (x *pair1) RecvMsg(ctx context.Context, timeout time.Duration) (*sp.Message, error) {
	return x.s.RecvQueued(ctx, timeout)
}

func (x *pair1) Close() {}
