package core

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/spgo/sp"
)

// Delivery is a protocol's policy for a received message that finds the
// receive queue full (see Socket.Delivery).
type Delivery int

const (
	// WaitForRoom: the pipe's reader waits for room, which pushes back on
	// the peer (pair, pair1, pull, rep, req, respondent, surveyor).
	WaitForRoom Delivery = iota
	// DropWhenFull: the message is dropped and counted as
	// sp.Drops.QueueFull, so that a receiver that does not keep up never
	// holds up its peers (bus, star, sub).
	DropWhenFull
)

// Deliver queues m, received on p, for Recv: the one way from a pipe to
// the receive queue. Protocols call it from Received only (on p's reader
// goroutine, or on a receiver's that reads p: see Socket.ReadsInRecv). The
// reader gathers what it delivers while whole frames are already buffered
// and queues them together (one lock, one wake-up of the receiver); what
// finds no room waits or is dropped as s.Delivery says, and what the
// reader holds when p closes is dropped. A receiver that reads p itself
// returns the message to its caller instead.
func (s *Socket) Deliver(p *Pipe, m *sp.Message) {
	p.batch = append(p.batch, m)
}

// noRoomWait is a closed channel: PutBatch given it waits for no room.
var noRoomWait = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// RecvQueued takes the next message from the receive queue, for a
// protocol's RecvMsg.
func (s *Socket) RecvQueued(ctx context.Context, timeout time.Duration) (*sp.Message, error) {
	if m := s.RecvQ.TryGet(); m != nil {
		return m, nil
	}
	if timeout > 0 {
		return s.recvTimed(ctx, timeout)
	}
	// Read the socket's lone pipe in this goroutine if it can (see
	// recvdirect.go); otherwise wait.
	if p := s.solo.Load(); p != nil && p.rr != nil {
		if m, err, ok := s.recvDirect(ctx, p, nil); ok {
			return m, err
		}
	}
	return s.recvWait(ctx, nil)
}

// recvTimed is RecvQueued with a timeout.
func (s *Socket) recvTimed(ctx context.Context, timeout time.Duration) (*sp.Message, error) {
	dl := NewDeadline(timeout)
	defer dl.Stop()
	if p := s.solo.Load(); p != nil && p.rr != nil {
		if m, err, ok := s.recvDirect(ctx, p, &dl); ok {
			return m, err
		}
	}
	return s.recvWait(ctx, &dl)
}

// recvWait is RecvQueued once it found nothing at hand and could not read
// the pipe itself: it waits on the queue, or for the read role of the
// socket's lone pipe to lie idle.
func (s *Socket) recvWait(ctx context.Context, dl *Deadline) (*sp.Message, error) {
	for {
		m, err := s.RecvQ.GetOr(ctx, dl, s.closing, s.roleLeft)
		if err != errAlt {
			return m, err
		}
		// A read role lies idle with receivers (see recvdirect.go):
		// read, or give it back to its reader goroutine, rather than
		// wait for what nobody reads.
		if p := s.held.Load(); p != nil {
			if p == s.solo.Load() {
				if m, err, ok := s.recvDirect(ctx, p, dl); ok {
					return m, err
				}
			} else {
				p.rr.release()
			}
		}
	}
}

// ExplainTimeout returns err, the error of a send or receive (op is "send"
// or "recv"), with the likely reason added when there is one: a timeout on
// a socket with no peer connected reads "sp: send: timed out: no peer
// connected". The result is an *sp.OpError that still matches sp.ErrTimeout
// (and context.DeadlineExceeded) with errors.Is, and whose Timeout reports
// true. Other errors, and timeouts with peers connected, are returned as
// they are, as is an error already explained.
//
// Socket.SendMsg and RecvMsg call it, so a protocol's SendMsg and RecvMsg
// need not; a protocol's contexts (whose Send and Recv do not go through
// them) call it on their own error path: it costs nothing before, and
// takes no lock, so it may be called holding any.
func (s *Socket) ExplainTimeout(op string, err error) error {
	if err == nil || !errors.Is(err, sp.ErrTimeout) || s.npipes.Load() > 0 {
		return err
	}
	var np *noPeerError
	if errors.As(err, &np) {
		return err
	}
	return &sp.OpError{Op: op, Err: &noPeerError{err}}
}

// noPeerError is a timeout that happened with no peer connected.
type noPeerError struct{ err error }

func (e *noPeerError) Error() string { return e.err.Error() + ": no peer connected" }
func (e *noPeerError) Unwrap() error { return e.err }

// NotSupported returns an error saying the socket's protocol cannot do op.
func (s *Socket) NotSupported(op string) error {
	return fmt.Errorf("%w: %s on a %s socket", sp.ErrNotSupported, op, s.info.SelfName)
}

// RoundRobin sends each message to the next of its pipes that has room,
// waiting when none has. It is safe for concurrent use; the zero value is
// ready once S is set.
type RoundRobin struct {
	S     *Socket
	mu    sync.Mutex
	pipes []*Pipe
	next  int
}

// Add adds a pipe and wakes senders waiting for room.
func (r *RoundRobin) Add(p *Pipe) {
	r.mu.Lock()
	r.pipes = append(r.pipes, p)
	r.mu.Unlock()
	r.S.Room.Broadcast()
}

// Remove removes a pipe.
func (r *RoundRobin) Remove(p *Pipe) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, q := range r.pipes {
		if q == p {
			r.pipes = append(r.pipes[:i], r.pipes[i+1:]...)
			if r.next > i {
				r.next--
			}
			return
		}
	}
}

// Len returns the number of pipes.
func (r *RoundRobin) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.pipes)
}

// TrySend queues m on the next pipe with room and returns that pipe, or
// returns nil, leaving m to the caller, when no pipe has room.
func (r *RoundRobin) TrySend(m *sp.Message) *Pipe {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := len(r.pipes)
	for i := 0; i < n; i++ {
		k := (r.next + i) % n
		if p := r.pipes[k]; p.TrySend(m) {
			r.next = (k + 1) % n
			return p
		}
	}
	return nil
}

// Send queues m on the next pipe with room, waiting for one until ctx ends,
// the timeout passes, the socket closes or Shutdown begins (ErrStopped), and
// returns the pipe. It owns m, also on error.
func (r *RoundRobin) Send(ctx context.Context, m *sp.Message, timeout time.Duration) (*Pipe, error) {
	if p := r.TrySend(m); p != nil {
		return p, nil
	}
	dl := NewDeadline(timeout)
	defer dl.Stop()
	for {
		room := r.S.Room.Chan()
		if p := r.TrySend(m); p != nil {
			return p, nil
		}
		select {
		case <-room:
		case <-ctx.Done():
			m.Free()
			return nil, sp.ContextError(ctx)
		case <-dl.C():
			m.Free()
			return nil, sp.ErrTimeout
		case <-r.S.stopped:
			m.Free()
			return nil, ErrStopped
		case <-r.S.closing:
			m.Free()
			return nil, sp.ErrClosed
		}
	}
}
