package core

import (
	"context"
	"errors"
	"fmt"

	"github.com/spgo/sp"
)

// Shutdown implements sp.Socket. It goes in steps, each bounded by ctx and
// cut short by Close:
//
//  1. The gate closes (no new send is admitted, and senders waiting for
//     room give up with ErrStopped), and the dialers and listeners stop, so
//     no pipe joins: the pipes there are now are the drain's.
//  2. It seals each pipe, so that nothing more is queued (a send still on
//     its way, a req resending, a star or bus forwarding: see CheckSend):
//     what the pipes hold is what Send accepted. It waits until each
//     pipe's writer has written out its queue and its connection's buffer,
//     or the pipe is lost. An inproc pipe has nothing to write: its
//     connection holds what was sent, and delivers it even after Close.
//  3. It shuts each connection for writing, where the transport can, and
//     waits for the peer to close its end: the peer has then read all
//     there was, and closing ours cannot reset the connection under data
//     the peer has yet to read (see linger).
//  4. It closes the socket as Close does, and counts what a pipe's writer
//     did not write: accepted minus written, pipe by pipe.
func (s *Socket) Shutdown(ctx context.Context) error {
	if ctx == nil {
		ctx = context.Background()
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.stopSends()
	eps := make([]endpoint, 0, len(s.endpoints))
	for e := range s.endpoints {
		eps = append(eps, e)
	}
	s.mu.Unlock()
	for _, e := range eps {
		e.stop()
	}
	pipes := s.Pipes()

	for _, p := range pipes {
		p.seal()
	}
	err := s.await(ctx, &s.flushed, func() bool { return all(pipes, (*Pipe).settled) })
	if err == nil {
		err = s.linger(ctx, pipes)
	}
	s.Close()
	<-s.done // a Close running in another goroutine may still wait
	return shutdownResult(err, pipes)
}

// await waits until done reports true, looking again whenever n
// broadcasts; it gives up when ctx ends or the socket closes.
func (s *Socket) await(ctx context.Context, n *Notifier, done func() bool) error {
	for {
		ch := n.Chan()
		if done() {
			return nil
		}
		select {
		case <-ch:
		case <-s.closing:
			return sp.ErrClosed
		case <-ctx.Done():
			return sp.ContextError(ctx)
		}
	}
}

func all(pipes []*Pipe, f func(*Pipe) bool) bool {
	for _, p := range pipes {
		if !f(p) {
			return false
		}
	}
	return true
}

// linger shuts for writing each drained connection that can be (a FIN over
// tcp and ipc, a close_notify over tls, a close frame over ws), and waits
// for those pipes to close: an SP peer that reads the end of the stream
// closes its pipe, so its end closing says it has read everything. Without
// the wait, closing a connection whose receive buffer holds unread bytes
// makes the kernel reset it, and discard what it still had to send: a
// measure, pair over tcp with the peer sending all along, lost 18 to 1,500
// of 3,000 messages per run without it, none with it. Meanwhile the reader
// drops what finds the receive queue full (stopWaiting).
func (s *Socket) linger(ctx context.Context, pipes []*Pipe) error {
	var wait []*Pipe
	for _, p := range pipes {
		hc, ok := sp.ConnAs[sp.HalfCloser](p.conn)
		if !ok || p.IsClosed() {
			continue
		}
		if err := p.out.closeWrite(hc); err != nil {
			continue // not half-closed (eager), or broken: Close ends it
		}
		p.stopWaiting()
		wait = append(wait, p)
	}
	return s.await(ctx, &s.flushed, func() bool { return all(wait, (*Pipe).IsClosed) })
}

// stopWaiting keeps the pipe's reader from waiting for room in the receive
// queue: what finds none is dropped, as the close would drop it, so that
// the reader goes on to the peer's end of the stream, which linger waits
// for, even when nobody receives.
func (p *Pipe) stopWaiting() {
	p.noWaitSet.Do(func() { close(p.noWait) })
}

// shutdownResult is Shutdown's error: nil when every accepted message was
// written, else a *sp.ShutdownError saying how many were not, and why.
func shutdownResult(err error, pipes []*Pipe) error {
	dropped := 0
	var lost error
	for _, p := range pipes {
		if n := p.unsent(); n > 0 {
			dropped += n
			if lost == nil {
				lost = p.reason
			}
		}
	}
	if err == nil && dropped == 0 {
		return nil
	}
	if err == nil {
		err = fmt.Errorf("a peer was lost with messages queued for it: %w", lost)
	}
	return &sp.ShutdownError{Dropped: dropped, Err: err}
}

// seal stops the pipe taking more messages (see Queue.Seal), for Shutdown.
func (p *Pipe) seal() { p.out.seal() }

// settled reports whether the pipe holds nothing more to write: it closed,
// or its send queue is empty and its writer idle with nothing buffered. An
// eager pipe (inproc) is always settled: its connection is the queue, and
// delivers what it holds even once closed.
func (p *Pipe) settled() bool { return p.IsClosed() || p.out.settled() }

// unsent returns how many messages the pipe took and did not write out:
// what was queued or went direct, less what the connection wrote. It is
// meant for a pipe whose goroutines have exited.
func (p *Pipe) unsent() int { return p.out.unsent() }

// errNoHalfClose is an eager sender's answer to closeWrite.
var errNoHalfClose = errors.New("an eager connection is not half-closed")
