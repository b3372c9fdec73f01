package core

import (
	"context"
	"errors"

	"github.com/spgo/sp"
)

// eagerSender is the send half of a pipe whose connection is its own send
// queue (sp.EagerSender: inproc): every send hands the message to the
// connection from the sender's goroutine, which may be several at once;
// there is no queue and no writer goroutine, and the connection counts what
// it takes. Its NotifyRoom callback wakes senders waiting for room.
type eagerSender struct {
	p    *Pipe
	e    sp.EagerSender
	now  sp.DirectSender
	room chan struct{} // a token: the connection has room
}

func newEagerSender(p *Pipe, e sp.EagerSender, now sp.DirectSender, queueLen int) *eagerSender {
	es := &eagerSender{p: p, e: e, now: now, room: make(chan struct{}, 1)}
	e.SetSendQueueLen(queueLen)
	e.NotifyRoom(func() {
		signal(es.room)
		p.sock.Room.Broadcast()
	})
	return es
}

func (es *eagerSender) trySend(m *sp.Message) bool {
	if es.p.IsClosed() {
		return false
	}
	taken, _, err := es.now.SendNow(m) // it counts for itself
	if taken && err != nil && !errors.Is(err, sp.ErrClosed) {
		// The connection broke. (One the peer ended is left to the
		// reader, which reads what the peer sent before it ended, then
		// the end, and closes the pipe: closing it here would drop
		// that.)
		es.p.closeWith(err)
	}
	return taken
}

func (es *eagerSender) send(ctx context.Context, m *sp.Message, dl *Deadline) error {
	p := es.p
	for woke := false; ; woke = true {
		if es.trySend(m) {
			if woke {
				signal(es.room) // pass the turn on to another waiting sender
			}
			return nil
		}
		select {
		case <-es.room:
		case <-p.sock.stopped:
			return ErrStopped
		case <-p.closed:
			return sp.ErrClosed
		case <-ctx.Done():
			return sp.ContextError(ctx)
		case <-dl.C():
			return sp.ErrTimeout
		}
	}
}

// sendBuffered is trySend: an eager connection has no buffer to fill.
func (es *eagerSender) sendBuffered(m *sp.Message) bool { return es.trySend(m) }

func (es *eagerSender) flushBuffered() {}

// grantTurn does nothing: every send goes direct anyway.
func (es *eagerSender) grantTurn() {}

func (es *eagerSender) writer() {}

func (es *eagerSender) sent() (msgs, bytes uint64, queued int) { return es.e.SendCounts() }

func (es *eagerSender) close() {}

func (es *eagerSender) seal() {}

// settled is always true: the connection is the queue, and delivers what it
// holds even once closed.
func (es *eagerSender) settled() bool { return true }

// unsent is 0: the connection counts what it took as sent.
func (es *eagerSender) unsent() int { return 0 }

// closeWrite declines: an eager connection is not half-closed (Shutdown
// waits for nothing on it).
func (es *eagerSender) closeWrite(sp.HalfCloser) error { return errNoHalfClose }
