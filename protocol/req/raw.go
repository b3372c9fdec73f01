package req

import (
	"context"
	"time"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/core"
)

// rawReq is a raw req socket: it sends each message, header as given, to
// the next rep peer with room, and delivers replies with their backtrace in
// Header. It keeps no request state: no ids, no resend, no filtering.
type rawReq struct {
	s  *core.Socket
	rr core.RoundRobin
}

// NewRawSocket returns a raw req socket, for devices and for applications
// that keep their own request state. The application puts the backtrace
// (at least the request id, top bit set) in each message's Header.
func NewRawSocket() (sp.Socket, error) { return core.NewSocket(&rawReq{}), nil }

func (r *rawReq) Init(s *core.Socket) {
	r.s, r.rr.S = s, s
	core.DefineReadOnly(s.Options(), sp.Raw, true)
}

func (r *rawReq) Info() sp.ProtocolInfo {
	return sp.ProtocolInfo{Self: ProtocolID, Peer: PeerID, SelfName: ProtocolName, PeerName: PeerName}
}

func (r *rawReq) AddPipe(p *core.Pipe) error { r.rr.Add(p); return nil }
func (r *rawReq) RemovePipe(p *core.Pipe)    { r.rr.Remove(p) }

// Received moves the reply's backtrace into Header; a backtrace that never
// ends closes the pipe.
func (r *rawReq) Received(p *core.Pipe, m *sp.Message) { r.s.DeliverReply(p, m) }

func (r *rawReq) SendMsg(ctx context.Context, m *sp.Message, timeout time.Duration) error {
	_, err := r.rr.Send(ctx, m, timeout)
	return err
}

func (r *rawReq) RecvMsg(ctx context.Context, timeout time.Duration) (*sp.Message, error) {
	return r.s.RecvQueued(ctx, timeout)
}

func (r *rawReq) Close() {}
