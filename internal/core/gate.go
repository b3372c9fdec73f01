package core

import (
	"fmt"

	"github.com/spgo/sp"
)

// ErrStopped is the error of a send refused because the socket is shutting
// down (see Socket.Shutdown); it wraps sp.ErrClosed.
var ErrStopped = fmt.Errorf("%w: the socket is shutting down", sp.ErrClosed)

// BeginSend admits a send into the socket, or refuses it with ErrStopped
// once Shutdown has begun. Every admitted send ends with EndSend, whatever
// its outcome: Shutdown waits for the sends in progress before it writes
// out what they queued. The socket's SendMsg calls both; a protocol calls
// them around its contexts' sends.
//
// It costs an atomic addition and a load: the sender counts itself, then
// looks at the flag, while Shutdown sets the flag, then looks at the count;
// one of the two sees the other.
func (s *Socket) BeginSend() error {
	s.sending.Add(1)
	if s.stopping.Load() {
		s.EndSend()
		return ErrStopped
	}
	return nil
}

// EndSend ends a send BeginSend admitted.
func (s *Socket) EndSend() {
	if s.sending.Add(-1) == 0 && s.stopping.Load() {
		s.sendIdle.Broadcast()
	}
}

// Stopped returns a channel closed when Shutdown begins: senders waiting for
// room give up with ErrStopped (what they hold was not accepted).
func (s *Socket) Stopped() <-chan struct{} { return s.stopped }

// IsStopping reports whether Shutdown has begun.
func (s *Socket) IsStopping() bool { return s.stopping.Load() }

// stopSends closes the gate: new sends are refused, and senders waiting
// for room are woken.
func (s *Socket) stopSends() {
	s.stopOnce.Do(func() {
		s.stopping.Store(true)
		close(s.stopped)
	})
}
