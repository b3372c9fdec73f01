package replier

import (
	"context"
	"time"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/core"
	"github.com/spgo/sp/internal/wire"
)

// Raw is a raw replier: Recv gives each request with its backtrace in
// Header, the id of the pipe it came from first; Send routes a message by
// the first word of its Header and sends the rest of the Header before the
// body. It keeps no state, so requests may be answered in any order, or not
// at all.
type Raw struct {
	info  sp.ProtocolInfo
	s     *core.Socket
	pipes core.PipeSet
}

// NewRaw returns a raw replier speaking info.
func NewRaw(info sp.ProtocolInfo) *Raw { return &Raw{info: info} }

// Init implements core.Protocol.
func (r *Raw) Init(s *core.Socket) {
	r.s = s
	core.DefineReadOnly(s.Options(), sp.Raw, true)
}

// Info implements core.Protocol.
func (r *Raw) Info() sp.ProtocolInfo { return r.info }

// AddPipe implements core.Protocol.
func (r *Raw) AddPipe(p *core.Pipe) error { r.pipes.Add(p); return nil }

// RemovePipe implements core.Protocol.
func (r *Raw) RemovePipe(p *core.Pipe) { r.pipes.Remove(p) }

// Received implements core.Protocol.
func (r *Raw) Received(p *core.Pipe, m *sp.Message) {
	if m = r.s.SplitBacktrace(p, m); m != nil {
		r.s.Deliver(p, m)
	}
}

// SendMsg sends m to the pipe named by its Header's first word. A message
// for a pipe that is gone, or with no pipe id, is dropped.
func (r *Raw) SendMsg(ctx context.Context, m *sp.Message, timeout time.Duration) error {
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
	p := r.pipes.Get(wire.Uint32(m.Header))
	if p == nil {
		m.Free()
		r.s.Dropped(core.DropStale)
		return nil
	}
	m.Header = m.Header[4:]
	return p.SendOrDrop(ctx, m, timeout)
}

// RecvMsg implements core.Protocol.
func (r *Raw) RecvMsg(ctx context.Context, timeout time.Duration) (*sp.Message, error) {
	return r.s.RecvQueued(ctx, timeout)
}

// Close implements core.Protocol.
func (r *Raw) Close() {}
