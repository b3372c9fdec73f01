package surveyor

import (
	"context"
	"time"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/core"
)

// rawSurveyor is a raw surveyor socket: it sends each message, Header as
// given, to every respondent with room, and delivers answers with their
// backtrace (the survey id) in Header. It keeps no survey state: no ids, no
// deadline, no filtering.
type rawSurveyor struct {
	s     *core.Socket
	pipes core.PipeSet
}

// NewRawSocket returns a raw surveyor socket, for devices and for
// applications that keep their own survey state. The application puts the
// backtrace (at least the survey id, top bit set) in each message's Header.
func NewRawSocket() (sp.Socket, error) { return core.NewSocket(&rawSurveyor{}), nil }

func (r *rawSurveyor) Init(s *core.Socket) {
	r.s = s
	core.DefineReadOnly(s.Options(), sp.Raw, true)
}

func (r *rawSurveyor) Info() sp.ProtocolInfo {
	return sp.ProtocolInfo{Self: ProtocolID, Peer: PeerID, SelfName: ProtocolName, PeerName: PeerName}
}

func (r *rawSurveyor) AddPipe(p *core.Pipe) error { r.pipes.Add(p); return nil }

func (r *rawSurveyor) RemovePipe(p *core.Pipe) { r.pipes.Remove(p) }

// Received moves the answer's backtrace into Header; a backtrace that never
// ends closes the pipe.
func (r *rawSurveyor) Received(p *core.Pipe, m *sp.Message) { r.s.DeliverReply(p, m) }

// SendMsg queues m for every respondent whose queue has room and drops it
// for the others. It never blocks.
func (r *rawSurveyor) SendMsg(_ context.Context, m *sp.Message, _ time.Duration) error {
	select {
	case <-r.s.Closing():
		m.Free()
		return sp.ErrClosed
	default:
	}
	r.pipes.Broadcast(m, nil)
	return nil
}

func (r *rawSurveyor) RecvMsg(ctx context.Context, timeout time.Duration) (*sp.Message, error) {
	return r.s.RecvQueued(ctx, timeout)
}

func (r *rawSurveyor) Close() {}
