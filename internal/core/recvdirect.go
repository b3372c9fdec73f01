package core

import (
	"context"
	"errors"
	"os"
	"time"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/msgtrack"
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
	mine := r.st.CompareAndSwap(roleIdle, roleBusy)
	locked := !mine || r.dl.Load() != dlNanos(want) || s.solo.Load() != p
	if locked {
		r.mu.Lock()
	}
	for !mine {
		if r.broken || p.IsClosed() {
			if r.st.CompareAndSwap(roleIdle, roleReader) {
				r.giveBack() // which queues what was read ahead
			}
			r.mu.Unlock()
			return nil, nil, false
		}
		st := r.st.Load()
		if st >= roleIdle {
			if mine = r.st.CompareAndSwap(roleIdle, roleBusy); !mine {
				r.mu.Unlock() // another receiver reads
				return nil, nil, false
			}
			break
		}
		if st == roleReader {
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
			r.st.Store(roleAsked)
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
			if r.st.Load() == roleBack || s.solo.Load() != p {
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
	msgtrack.ToLibrary(m)
	if p.IsClosed() {
		p.discard(m)
		return nil
	}
	if p.rc == nil { // else the connection counts (and doneReading skips the count)
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
	if got && p.more != nil && !p.eager {
		s.readAhead(p)
	}
	if r.readMsgs > 0 && (r.readMsgs >= countBatch || p.more == nil || !p.more.Buffered()) {
		r.count()
	}
	keep := !s.RecvQ.Waiting() && s.solo.Load() == p && !p.IsClosed()
	if !keep || !r.st.CompareAndSwap(roleBusy, roleIdle) {
		r.mu.Lock()
		if s.RecvQ.Waiting() {
			r.contended = contendedCalls
			r.giveBack()
		} else if r.st.Load() == roleBack || s.solo.Load() != p || p.IsClosed() {
			r.giveBack()
		} else {
			r.st.Store(roleIdle)
			keep = true
		}
		r.mu.Unlock()
	}
	if keep {
		// A receiver that starts waiting on the queue from now on
		// finds the role there (see RecvQueued).
		if len(s.roleLeft) == 0 { // as a rule the token is there: no call
			signal(s.roleLeft)
		}
	}
	if got && !p.eager { // eager pipes send direct anyway
		p.out.grantTurn()
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
