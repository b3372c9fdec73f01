package core

import (
	"fmt"

	"github.com/spgo/sp"
)

// ErrStopped is the error of a send refused because the socket is shutting
// down (see Socket.Shutdown); it wraps sp.ErrClosed.
var ErrStopped = fmt.Errorf("%w: the socket is shutting down", sp.ErrClosed)

// CheckSend refuses a send with ErrStopped once Shutdown has begun. The
// socket's SendMsg calls it; a protocol calls it at the start of its
// contexts' sends.
//
// It is one atomic load. A send that passed it just before Shutdown began
// cannot slip a message past the drain: it goes through a pipe (Pipe.TrySend
// or Pipe.Send, the only ways out), and Shutdown seals every pipe before it
// drains them, so the message is either queued before the seal, and
// written out, or refused after it: the send then fails with ErrStopped (a
// sender waiting for room gives up when Shutdown begins), except that pub,
// bus, star and surveyor, which never wait, drop it for that peer as for a
// full queue. Over inproc the connection takes it, and delivers it.
func (s *Socket) CheckSend() error {
	if s.stopping.Load() {
		return ErrStopped
	}
	return nil
}

// Stopped returns a channel closed when Shutdown begins: senders waiting for
// room give up with ErrStopped (what they hold was not accepted).
func (s *Socket) Stopped() <-chan struct{} { return s.stopped }

// IsStopping reports whether Shutdown has begun.
func (s *Socket) IsStopping() bool { return s.stopping.Load() }

// stopSends closes the gate: new sends are refused, and senders waiting for
// room are woken.
func (s *Socket) stopSends() {
	s.stopOnce.Do(func() {
		s.stopping.Store(true)
		close(s.stopped)
	})
}

// CheckSize refuses m with an error wrapping sp.ErrTooLarge if it is larger
// than one of the socket's pipes can carry (sp.SendLimiter: udp), freeing
// it. The socket's SendMsg calls it; so does a context's.
func (s *Socket) CheckSize(m *sp.Message) error {
	limit := int(s.sendLimit.Load())
	if limit == 0 {
		return nil
	}
	if n := len(m.Header) + len(m.Body); n > limit {
		m.Free()
		return fmt.Errorf("%w: a %d-byte message is over the %d bytes a pipe of this socket carries (one datagram, never fragmented)", sp.ErrTooLarge, n, limit)
	}
	return nil
}

// updateSendLimit keeps sendLimit the smallest of the pipes' limits;
// under mu.
func (s *Socket) updateSendLimit() {
	limit := 0
	for _, p := range s.pipes {
		if p.sendLimit > 0 && (limit == 0 || p.sendLimit < limit) {
			limit = p.sendLimit
		}
	}
	s.sendLimit.Store(int64(limit))
}
