package respondent

import (
	"context"
	"sync"
	"time"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/core"
	"github.com/spgo/sp/internal/wire"
)

// rawRespondent is a raw respondent socket: Recv gives each survey with its
// backtrace in Header, the id of the pipe it came from first; Send routes a
// message by the first word of its Header and sends the rest of the Header
// before the body. It keeps no state, so surveys may be answered in any
// order, or not at all.
type rawRespondent struct {
	s     *core.Socket
	mu    sync.Mutex
	pipes map[uint32]*core.Pipe
}

// NewRawSocket returns a raw respondent socket, for devices and for
// applications that answer surveys out of order.
func NewRawSocket() (sp.Socket, error) { return core.NewSocket(&rawRespondent{}), nil }

func (r *rawRespondent) Init(s *core.Socket) {
	r.s = s
	r.pipes = make(map[uint32]*core.Pipe)
	core.DefineReadOnly(s.Options(), sp.Raw, true)
}

func (r *rawRespondent) Info() sp.ProtocolInfo {
	return sp.ProtocolInfo{Self: ProtocolID, Peer: PeerID, SelfName: ProtocolName, PeerName: PeerName}
}

func (r *rawRespondent) AddPipe(p *core.Pipe) error {
	r.mu.Lock()
	r.pipes[p.ID()] = p
	r.mu.Unlock()
	return nil
}

func (r *rawRespondent) RemovePipe(p *core.Pipe) {
	r.mu.Lock()
	delete(r.pipes, p.ID())
	r.mu.Unlock()
}

func (r *rawRespondent) Received(p *core.Pipe, m *sp.Message) {
	if m = r.s.SplitBacktrace(p, m); m != nil {
		r.s.Deliver(p, m)
	}
}

// SendMsg sends m to the pipe named by its Header's first word. A message
// for a pipe that is gone, or with no pipe id, is dropped.
func (r *rawRespondent) SendMsg(ctx context.Context, m *sp.Message, timeout time.Duration) error {
	select {
	case <-r.s.Closing():
		m.Free()
		return sp.ErrClosed
	default:
	}
	if len(m.Header) < 4 {
		m.Free()
		return nil
	}
	r.mu.Lock()
	p := r.pipes[wire.Uint32(m.Header)]
	r.mu.Unlock()
	if p == nil {
		m.Free()
		return nil
	}
	m.Header = m.Header[4:]
	return p.SendOrDrop(ctx, m, timeout)
}

func (r *rawRespondent) RecvMsg(ctx context.Context, timeout time.Duration) (*sp.Message, error) {
	return r.s.RecvQueued(ctx, timeout)
}

func (r *rawRespondent) Close() {}
