package core

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/spgo/sp"
)

// queuedSender is the send half of a pipe over a byte stream (tcp, ipc,
// tls, ws, ...): a bounded send Queue that one writer goroutine empties,
// batching what was queued into as few writes as it can, and a direct path
// (sp.DirectSender) for the one send that follows a message a receiver read
// in its own goroutine (a turn: see readRole and grantTurn): a reply, which
// would otherwise wait for the writer to wake.
//
// wmu is held by whoever writes the connection: the writer for a batch, a
// sender on its turn (TryLock only), Shutdown to half-close it.
type queuedSender struct {
	p   *Pipe
	q   *Queue
	now sp.DirectSender // nil: no direct path (no turns are granted)
	sc  sp.SentCounter  // the connection counts what it writes; nil if not

	// turn is set when a receiver returned a message it read itself: the
	// next send may go direct (see grantTurn).
	turn atomic.Bool
	// sealed: Shutdown has drained the pipe and nothing more goes direct.
	sealed atomic.Bool

	wmu sync.Mutex
	// Under wmu: whether the writer yields before it flushes, the messages
	// SendNow took, and whether the connection holds some of one for the
	// writer's next Flush.
	flushYield yielder
	direct     uint64
	unflushed  bool

	// pending: sendBuffered left bytes for flushBuffered.
	pending atomic.Bool
}

func newQueuedSender(p *Pipe, conn sp.TransportConn, queueLen int, stopped chan struct{}) *queuedSender {
	q := &queuedSender{p: p, q: NewQueue(queueLen)}
	q.q.stop = stopped
	q.now, _ = sp.ConnAs[sp.DirectSender](conn)
	q.sc, _ = sp.ConnAs[sp.SentCounter](conn)
	return q
}

func (q *queuedSender) trySend(m *sp.Message) bool {
	if q.now != nil && q.turn.CompareAndSwap(true, false) && q.trySendNow(m) {
		return true
	}
	return q.q.TryPut(m)
}

func (q *queuedSender) send(ctx context.Context, m *sp.Message, dl *Deadline) error {
	return q.q.Put(ctx, m, dl, q.p.closed)
}

// grantTurn lets the next send try the direct path (a receiver returned a
// message it read itself).
func (q *queuedSender) grantTurn() {
	if q.now != nil {
		q.turn.Store(true)
	}
}

// lockIdle takes wmu if nobody is writing, nothing is queued and the pipe
// is open and not sealed, and reports whether it did: a message may then
// go to the connection ahead of the writer.
func (q *queuedSender) lockIdle() bool {
	if !q.wmu.TryLock() {
		return false
	}
	if q.q.Len() > 0 || q.p.IsClosed() || q.sealed.Load() {
		q.wmu.Unlock()
		return false
	}
	return true
}

// trySendNow hands m straight to the connection if nothing is queued before
// it and nobody is writing, and reports whether it did.
func (q *queuedSender) trySendNow(m *sp.Message) bool {
	if !q.lockIdle() {
		return false
	}
	size := uint64(len(m.Header) + len(m.Body))
	taken, more, err := q.now.SendNow(m)
	if taken {
		q.direct++
		q.unflushed = more && err == nil
	}
	q.wmu.Unlock()
	switch {
	case !taken:
		return false
	case err != nil:
		q.p.closeWith(err)
	default:
		q.countSent(1, size)
		if more {
			q.q.Kick() // the writer flushes the rest
		}
	}
	if q.p.sock.stopping.Load() {
		q.p.sock.flushed.Broadcast()
	}
	return true
}

// sendBuffered writes m into the connection's write buffer without
// flushing, if nothing is queued before it and nobody is writing, and
// reports whether it did; the reader flushes once it has nothing more to
// read (flushBuffered), so that the replies to requests read together
// leave in one write. It is the reader goroutine's (see Pipe.Reply).
func (q *queuedSender) sendBuffered(m *sp.Message) bool {
	if !q.lockIdle() {
		return false
	}
	size := uint64(len(m.Header) + len(m.Body))
	err := q.p.conn.Send(m)
	q.direct++
	q.unflushed = err == nil
	q.wmu.Unlock()
	if err != nil {
		q.p.closeWith(err)
		return true
	}
	q.countSent(1, size)
	q.pending.Store(true)
	return true
}

// flushBuffered writes out what sendBuffered left in the connection's
// buffer; if the writer is writing, it flushes it with its batch.
func (q *queuedSender) flushBuffered() {
	if !q.pending.Load() || !q.pending.Swap(false) {
		return
	}
	if !q.wmu.TryLock() {
		q.q.Kick()
		return
	}
	var err error
	if q.unflushed {
		err = q.p.conn.Flush()
		q.unflushed = err != nil
	}
	q.wmu.Unlock()
	if err != nil {
		q.p.closeWith(err)
	}
	if q.p.sock.stopping.Load() {
		q.p.sock.flushed.Broadcast()
	}
}

// writer is the pipe's writer goroutine.
func (q *queuedSender) writer() {
	p := q.p
	defer p.sock.wg.Done()
	defer close(p.wrote)
	batch := make([]*sp.Message, 0, 16)
	for q.q.Wait(p.closed) {
		q.wmu.Lock()
		err := q.writeBatch(&batch)
		q.wmu.Unlock()
		if err != nil {
			p.closeWith(err)
			return
		}
		if p.sock.stopping.Load() {
			p.sock.flushed.Broadcast() // Shutdown may wait for it
		}
	}
}

// writeBatch writes every queued message and flushes, under wmu. Messages
// queued while it writes join the batch, up to maxBatchBytes, so that a
// sender that keeps the queue from running dry gets fewer, larger writes;
// the flush comes as soon as the queue is found empty.
//
// A connection that counts what it writes (sp.SentCounter) counts the batch;
// for any other, a message Send took without error is out, and is counted
// even if a later one fails, since it reached the peer.
func (q *queuedSender) writeBatch(batch *[]*sp.Message) error {
	conn := q.p.conn
	var msgs, bytes uint64
	yielded := false
	for bytes < maxBatchBytes {
		*batch = q.q.GetAll((*batch)[:0])
		if len(*batch) == 0 {
			if msgs == 0 || yielded || !q.flushYield.try() {
				break
			}
			// Before flushing, let the goroutines that are ready run
			// once, so that senders about to queue (a server's
			// handlers answering requests read together) join this
			// write: one write for many replies. Whether it pays is
			// learned per pipe (see yielder).
			yielded = true
			runtime.Gosched()
			*batch = q.q.GetAll((*batch)[:0])
			q.flushYield.paid(len(*batch) > 0)
			if len(*batch) == 0 {
				break
			}
		}
		q.p.sock.Room.Broadcast()
		for i, m := range *batch {
			(*batch)[i] = nil
			size := uint64(len(m.Header) + len(m.Body))
			if err := conn.Send(m); err != nil {
				for _, m := range (*batch)[i+1:] {
					m.Free()
				}
				q.countSent(msgs, bytes)
				return err
			}
			msgs++
			bytes += size
		}
	}
	err := conn.Flush() // with no message, what a direct send left (see Queue.Kick)
	if err == nil {
		q.unflushed = false
	}
	q.countSent(msgs, bytes)
	return err
}

// countSent counts what was written, unless the connection counts it.
func (q *queuedSender) countSent(msgs, bytes uint64) {
	if q.sc == nil && msgs > 0 {
		q.p.traffic.msgsSent.Add(msgs)
		q.p.traffic.bytesSent.Add(bytes)
	}
}

func (q *queuedSender) sent() (msgs, bytes uint64, queued int) {
	if q.sc != nil {
		msgs, bytes = q.sc.SentCounts()
	} else {
		msgs, bytes = q.p.traffic.msgsSent.Load(), q.p.traffic.bytesSent.Load()
	}
	return msgs, bytes, q.q.Len()
}

func (q *queuedSender) close() { q.q.Close() }

func (q *queuedSender) seal() {
	q.sealed.Store(true)
	q.q.Seal()
}

func (q *queuedSender) settled() bool {
	if !q.wmu.TryLock() {
		return false // the writer is writing: it broadcasts when done
	}
	ok := q.q.Len() == 0 && !q.unflushed
	q.wmu.Unlock()
	return ok
}

func (q *queuedSender) unsent() int {
	q.wmu.Lock()
	took := q.q.Puts() + q.direct
	q.wmu.Unlock()
	sent, _, _ := q.sent()
	if took <= sent {
		return 0
	}
	return int(took - sent)
}

func (q *queuedSender) closeWrite(hc sp.HalfCloser) error {
	q.wmu.Lock() // the writer is idle: the pipe is drained and sealed
	defer q.wmu.Unlock()
	return hc.CloseWrite()
}

// yielder decides whether a pipe's writer yields before it flushes (see
// writeBatch). A yield that brings more to write pays; after missPatience
// yields in a row that brought nothing (a pipe with one sender, or a
// broadcast that sends each pipe one message, as a survey does) the writer
// stops yielding, trying again once every probeEvery flushes. Only the
// goroutine holding wmu uses it.
type yielder struct {
	misses  int // yields in a row that brought nothing
	flushes int // flushes since yielding stopped
}

const (
	missPatience = 16
	probeEvery   = 8
)

// try reports whether to yield before this flush.
func (y *yielder) try() bool {
	if y.misses < missPatience {
		return true
	}
	y.flushes++
	return y.flushes%probeEvery == 0
}

// paid records whether a yield brought more to write.
func (y *yielder) paid(ok bool) {
	if ok {
		y.misses, y.flushes = 0, 0
	} else if y.misses < missPatience {
		y.misses++
	}
}

// maxBatchBytes is about the most a writer gathers before it flushes.
const maxBatchBytes = 64 << 10
