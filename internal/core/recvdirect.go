package core

import (
	"context"
	"errors"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/spgo/sp"
)

// Receiving in the caller's goroutine.
//
// A message that a pipe's reader goroutine reads reaches Recv through a
// hand-off: the reader queues it and readies the goroutine waiting in Recv.
// On an idle machine that hand-off is most of a round trip's time (the
// runtime wakes a second thread for it; see PERFORMANCE.md). So when a
// socket whose protocol allows it has a single pipe, the goroutine in
// RecvQueued reads that pipe's connection itself: it takes the pipe's read
// role from the reader goroutine, which interrupts its read through a read
// deadline in the past and then waits, and keeps the role after it returns,
// for its next call. A message it reads goes to its caller without any
// queue, and the reply the caller sends straight after it is written from
// the caller's goroutine too (see Pipe.TrySend): a request and its answer
// then cross without a goroutine hand-off at either end.
//
// The role goes back to the reader goroutine when a second pipe joins the
// socket, when another goroutine waits in Recv as well (a receiver that
// kept it would take every message; receivers then leave it with the reader
// for a while, see contendedCalls), and when the peer ends the connection
// (the role watcher sees it: rolewatch.go). Between two calls of Recv
// nobody reads the pipe, so what the peer sends waits in the kernel's
// socket buffer rather than in the receive queue, as it would once that
// queue was full; receive statistics count it once it is read.

// contendedCalls is how many calls of RecvQueued leave the read role with
// the reader goroutine after it went back because receivers contended for
// it, so that a pool of receivers does not pass it to and fro.
const contendedCalls = 1024

// Where a pipe's read role is.
const (
	roleReader    = iota // the reader goroutine reads
	roleAsked            // a receiver asked; the reader was interrupted
	roleReceivers        // receivers read, one at a time
)

// What receivers do with a read role they hold (readRole.with). It changes
// from withNone, and to it, under readRole.mu only; a receiver that takes
// an idle role, or leaves it idle, does so with one compare-and-swap, so
// that a steady receiver takes no lock per message.
const (
	withNone = iota // receivers do not hold the role (see readRole.state)
	withIdle        // they hold it, and none reads
	withBusy        // one reads
	withBack        // one reads, and must give it back when done
)

// readRole is the state of a pipe's read role, for a pipe that can hand it
// to its socket's receivers.
type readRole struct {
	p       *Pipe
	conn    sp.ResumableConn
	wr      sp.WaitRecver   // conn, if it can receive without waiting
	ends    sp.EndNotifier  // conn, if it tells when it ends; else:
	raw     syscall.RawConn // conn's descriptor, for the role watcher
	watchID int32           // in the role watcher's set; 0: not there
	told    bool            // ends will call stirred
	broken  bool            // the role watcher failed: receivers do not read

	mu        sync.Mutex
	state     int          // under mu
	with      atomic.Int32 // withIdle, withBusy or withBack when state is roleReceivers
	dl        atomic.Int64 // the read deadline last set (dlNanos), set under mu
	contended int          // calls left before receivers may ask again; under mu

	given    chan struct{} // a token: the reader handed the role over (or exited)
	returned chan struct{} // a token: the role is back with the reader

	// ahead holds what the receiver holding the role read ahead (see
	// readAhead), oldest first from aheadAt: the next Recv takes it from
	// here, and the reader goroutine queues what is left when the role
	// comes back to it. Only whoever holds the role touches it.
	ahead   []*sp.Message
	aheadAt int

	// What the holder read and the pipe's traffic statistics do not show
	// yet: they are brought up to date every countBatch messages, when
	// nothing more is buffered (so that the statistics are right whenever
	// the pipe is idle), and when the role goes back.
	readMsgs, readBytes uint64

	// turn is set when a receiver has returned a message read from the
	// pipe, and taken by the next send: that send may write from the
	// sender's goroutine (see Pipe.TrySend).
	turn atomic.Bool
}

// past interrupts a read at once.
var past = time.Unix(1, 0)

// newReadRole returns the read role of p, whose connection is conn, or nil
// if nothing could tell receivers holding it that the peer left.
func newReadRole(p *Pipe, res sp.ResumableConn) *readRole {
	conn := p.conn
	r := &readRole{
		p:        p,
		conn:     res,
		given:    make(chan struct{}, 1),
		returned: make(chan struct{}, 1),
	}
	r.wr, _ = sp.ConnAs[sp.WaitRecver](conn)
	if ends, ok := sp.ConnAs[sp.EndNotifier](conn); ok {
		r.ends = ends
		return r
	}
	sc, ok := sp.ConnAs[syscall.Conn](conn)
	if !ok || !canWatch {
		return nil
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	r.raw = raw
	return r
}

// interruptLocked makes a running or next read return at once with a
// timeout; under mu.
func (r *readRole) interruptLocked() {
	r.conn.SetReadDeadline(past)
	r.dl.Store(dlNanos(past))
}

// dlNanos is a read deadline as readRole.dl keeps it: 0 for none.
func dlNanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// setDeadline sets the read deadline if it differs from the last one set;
// under mu.
func (r *readRole) setDeadline(t time.Time) {
	if n := dlNanos(t); r.dl.Load() != n {
		r.conn.SetReadDeadline(t)
		r.dl.Store(n)
	}
}

// interrupt makes a running or next read return at once with a timeout.
func (r *readRole) interrupt() {
	r.mu.Lock()
	r.interruptLocked()
	r.mu.Unlock()
}

// giveBack returns the role to the reader goroutine; under mu, with no
// receiver reading.
func (r *readRole) giveBack() {
	unwatchRole(r)
	r.p.sock.held.CompareAndSwap(r.p, nil)
	r.count()
	if r.p.IsClosed() {
		// No reader will queue what was read ahead: queue it now.
		for _, m := range r.takeAhead() {
			if !r.p.sock.RecvQ.TryPut(m) {
				m.Free()
				r.p.sock.Dropped(DropQueueFull)
			}
		}
	}
	r.state = roleReader
	r.with.Store(withNone)
	r.setDeadline(time.Time{})
	signal(r.returned)
}

// reclaim takes the role back for the reader goroutine (a second pipe has
// joined): at once if no receiver reads, or when the one reading is done.
func (r *readRole) reclaim() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.state == roleAsked {
		// The reader keeps it: an interrupted read finds it is not
		// asked any more, and a receiver waiting for it waits on the
		// queue, where the reader delivers.
		r.state = roleReader
		return
	}
	if r.state != roleReceivers {
		return
	}
	for {
		if r.with.CompareAndSwap(withIdle, withNone) {
			r.giveBack()
			return
		}
		if r.with.CompareAndSwap(withBusy, withBack) {
			r.interruptLocked()
			return
		}
		if w := r.with.Load(); w != withIdle && w != withBusy {
			return // asked already
		}
	}
}

// stop is called by the reader goroutine as it exits: it wakes a receiver
// waiting for the role.
func (r *readRole) stop() {
	r.unwatch()
	signal(r.given)
}

// unwatch takes the connection out of the role watcher's set; the pipe
// calls it before it closes the connection.
func (r *readRole) unwatch() {
	r.mu.Lock()
	unwatchRole(r)
	r.mu.Unlock()
}

// release gives the role back to the reader goroutine if receivers hold
// it and none is reading.
func (r *readRole) release() {
	r.mu.Lock()
	if r.state == roleReceivers && r.with.CompareAndSwap(withIdle, withNone) {
		r.giveBack()
	}
	r.mu.Unlock()
}

// stirred is called by the role watcher when the peer ended the connection
// of a role receivers hold: the reader goroutine reads what is left, and
// the end. A receiver reading meanwhile gives the role back when it is done
// (withBack): it may return what was already buffered without reading the
// end, and the watcher tells only once.
func (r *readRole) stirred() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for r.state == roleReceivers {
		if r.with.CompareAndSwap(withIdle, withNone) {
			r.giveBack()
			return
		}
		if r.with.CompareAndSwap(withBusy, withBack) {
			return
		}
		if w := r.with.Load(); w != withIdle && w != withBusy {
			return // asked already
		}
	}
}

// yield is called by the reader goroutine when its read was interrupted: if
// a receiver asked for the role, it hands the role over and waits for it to
// come back. It reports false if the pipe closed meanwhile.
func (p *Pipe) yield() bool {
	r := p.rr
	r.mu.Lock()
	if r.state == roleAsked && p.sock.solo.Load() != p {
		r.state = roleReader // no longer alone (see reclaim)
	}
	if r.state != roleAsked {
		// A deadline meant for an earlier holder of the role, or a
		// request reclaim withdrew.
		r.setDeadline(time.Time{})
		r.mu.Unlock()
		return true
	}
	if err := watchRole(r); err != nil {
		// Without the watcher a role left with receivers could keep a
		// dead pipe: receivers do not read this one. (A connection
		// that has ended is read to its end by the reader.)
		r.broken = err != errEnded
		r.state = roleReader
		r.setDeadline(time.Time{})
		r.mu.Unlock()
		if r.broken {
			p.sock.logWarn("receivers cannot read the pipe", "pipe", p.id, "err", err)
		}
		signal(r.given)
		return true
	}
	r.state = roleReceivers
	r.with.Store(withIdle)
	p.sock.held.Store(p)
	r.mu.Unlock()
	signal(r.given)
	signal(p.sock.roleIdle) // for a receiver that stopped waiting for it
	select {
	case <-r.returned:
		return true
	case <-p.closed:
		return false
	}
}

// countBatch is how many messages a receiver holding a read role reads
// under load before it updates the pipe's traffic statistics.
const countBatch = 64

// count adds what the holder read to the pipe's traffic statistics.
func (r *readRole) count() {
	if r.readMsgs > 0 {
		r.p.traffic.msgsRecv.Add(r.readMsgs)
		r.p.traffic.bytesRecv.Add(r.readBytes)
		r.readMsgs, r.readBytes = 0, 0
	}
}

// popAhead returns the oldest message read ahead, or nil.
func (r *readRole) popAhead() *sp.Message {
	if r.aheadAt == len(r.ahead) {
		return nil
	}
	m := r.ahead[r.aheadAt]
	r.ahead[r.aheadAt] = nil
	r.aheadAt++
	if r.aheadAt == len(r.ahead) {
		r.ahead, r.aheadAt = r.ahead[:0], 0
	}
	return m
}

// takeAhead returns every message read ahead, oldest first, and forgets
// them; the slice is good until the role is next held.
func (r *readRole) takeAhead() []*sp.Message {
	ms := r.ahead[r.aheadAt:]
	r.ahead, r.aheadAt = r.ahead[:0], 0
	return ms
}

// isTimeout reports whether err is a read deadline passing.
func isTimeout(err error) bool { return errors.Is(err, os.ErrDeadlineExceeded) }

// recvDirect receives a message from p, the socket's only pipe, reading it
// in the calling goroutine (see the top of this file). ok is false when it
// cannot, leaving the caller to wait on the receive queue: another
// goroutine is reading, the pipe closed, or it is no longer alone.
func (s *Socket) recvDirect(ctx context.Context, p *Pipe, dl *Deadline) (m *sp.Message, err error, ok bool) {
	r := p.rr
	want := dl.At()
	// The fast way in, without the lock: the role lies idle with
	// receivers, the pipe is still alone and the read deadline is the one
	// wanted.
	mine := r.with.CompareAndSwap(withIdle, withBusy)
	locked := !mine || r.dl.Load() != dlNanos(want) || s.solo.Load() != p
	if locked {
		r.mu.Lock()
	}
	for !mine {
		if r.broken || p.IsClosed() {
			if r.state == roleReceivers && r.with.CompareAndSwap(withIdle, withNone) {
				r.giveBack() // which queues what was read ahead
			}
			r.mu.Unlock()
			return nil, nil, false
		}
		if r.state == roleReceivers {
			if mine = r.with.CompareAndSwap(withIdle, withBusy); !mine {
				r.mu.Unlock() // another receiver reads
				return nil, nil, false
			}
			break
		}
		if r.state == roleReader {
			if r.contended > 0 || s.RecvQ.Waiting() {
				if r.contended > 0 {
					r.contended--
				}
				r.mu.Unlock()
				return nil, nil, false
			}
			select { // a stale token
			case <-r.given:
			default:
			}
			r.state = roleAsked
			r.interruptLocked()
		}
		r.mu.Unlock()
		// The reader may queue a message before it hands the role over;
		// one may come from elsewhere, too.
		m, err := s.RecvQ.GetOr(ctx, dl, s.closing, r.given)
		if err != errAlt {
			return m, err, true
		}
		r.mu.Lock()
	}
	for {
		if locked {
			if r.with.Load() == withBack || s.solo.Load() != p {
				r.giveBack()
				r.mu.Unlock()
				return nil, nil, false
			}
			r.setDeadline(want)
			r.mu.Unlock()
			locked = false
		}
		if m := s.RecvQ.TryGet(); m != nil { // queued before the hand-over
			s.doneReading(p, false)
			return m, nil, true
		}
		if m := r.popAhead(); m != nil {
			s.doneReading(p, true)
			return m, nil, true
		}
		var m *sp.Message
		var err error
		var stop func() bool
		if r.wr == nil {
			if ctx.Done() != nil {
				stop = context.AfterFunc(ctx, r.interrupt)
			}
			m, err = p.conn.Recv(p.maxSize)
		} else {
			// Wait here, not deeper in the connection's Recv: after
			// the scheduler's calls the processor predicts none of the
			// returns a goroutine makes on its way out of a wait, and
			// each costs (sp.WaitRecver).
			for {
				var wait <-chan *sp.Message
				if m, wait, err = r.wr.RecvOrWait(p.maxSize); wait == nil {
					break
				}
				if stop == nil && ctx.Done() != nil {
					stop = context.AfterFunc(ctx, r.interrupt)
				}
				if m = <-wait; m != nil {
					m, err = r.wr.Handed(m, p.maxSize)
					break
				}
			}
		}
		if stop != nil {
			stop()
		}
		switch {
		case err == nil:
			if m = p.received(m); m != nil {
				s.doneReading(p, true)
				return m, nil, true
			}
			if p.IsClosed() {
				s.doneReading(p, false)
				return nil, nil, false
			}
		case isTimeout(err):
			if ctx.Err() != nil {
				s.doneReading(p, false)
				return nil, sp.ContextError(ctx), true
			}
			if at := dl.At(); !at.IsZero() && !time.Now().Before(at) {
				s.doneReading(p, false)
				return nil, sp.ErrTimeout, true
			}
			// Interrupted for the role: the loop's top looks.
		default:
			p.sock.droppedFor(err)
			p.closeWith(err)
			s.doneReading(p, false)
			return nil, nil, false
		}
		r.mu.Lock()
		locked = true
	}
}

// received does with a message a receiver read from p what the reader
// goroutine does with one, and returns what the protocol delivered (nil if
// it delivered nothing).
func (p *Pipe) received(m *sp.Message) *sp.Message {
	if p.IsClosed() {
		m.Free()
		return nil
	}
	if p.rc == nil {
		p.rr.readMsgs++
		p.rr.readBytes += uint64(len(m.Body))
	}
	m.SetPipe(p)
	p.sock.proto.Received(p, m)
	switch len(p.batch) {
	case 0:
		return nil
	case 1: // as ever, with the protocols that read here
		m = p.batch[0]
		p.batch[0] = nil
		p.batch = p.batch[:0]
		return m
	}
	m = p.batch[0]
	for _, extra := range p.batch[1:] {
		if !p.sock.RecvQ.TryPut(extra) {
			extra.Free()
			p.sock.Dropped(DropQueueFull)
		}
	}
	clear(p.batch)
	p.batch = p.batch[:0]
	return m
}

// doneReading ends a receiver's turn with p's read role. The role goes back
// to the reader goroutine if it must or if other receivers wait on the
// queue (they would wait in vain while the role idles with the receivers).
func (s *Socket) doneReading(p *Pipe, got bool) {
	r := p.rr
	if got && p.more != nil && p.eager == nil {
		s.readAhead(p)
	}
	if r.readMsgs > 0 && (r.readMsgs >= countBatch || p.more == nil || !p.more.Buffered()) {
		r.count()
	}
	keep := !s.RecvQ.Waiting() && s.solo.Load() == p && !p.IsClosed()
	if !keep || !r.with.CompareAndSwap(withBusy, withIdle) {
		r.mu.Lock()
		if s.RecvQ.Waiting() {
			r.contended = contendedCalls
			r.giveBack()
		} else if r.with.Load() == withBack || s.solo.Load() != p || p.IsClosed() {
			r.giveBack()
		} else {
			r.with.Store(withIdle)
			keep = true
		}
		r.mu.Unlock()
	}
	if keep {
		// A receiver that starts waiting on the queue from now on
		// finds the role there (see RecvQueued).
		if len(s.roleIdle) == 0 { // as a rule the token is there: no call
			signal(s.roleIdle)
		}
	}
	if got && p.eager == nil { // eager pipes send direct anyway
		r.turn.Store(true)
	}
}

// readAhead takes in the whole frames already buffered, as the reader
// goroutine would, up to maxBatch messages: what a peer sent in one go is
// judged at once (a malformed frame closes the pipe now, not at the next
// Recv), and the next Recv finds it in readRole.ahead, or, if the role goes
// back to the reader goroutine meanwhile, in the queue.
//
// Its caller skips it over a connection that cannot tell what is buffered
// (p.more nil), and over one that delivers whole messages (eager: inproc),
// which has no frames to judge: the next Recv reads on from it, at less
// cost than through the queue.
func (s *Socket) readAhead(p *Pipe) {
	r := p.rr
	for s.solo.Load() == p && len(r.ahead) < maxBatch && p.more.Buffered() && !p.IsClosed() {
		m, err := p.conn.Recv(p.maxSize)
		if err != nil {
			p.sock.droppedFor(err)
			p.closeWith(err)
			return
		}
		if m = p.received(m); m != nil {
			r.ahead = append(r.ahead, m)
		}
	}
}
