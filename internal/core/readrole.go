package core

import (
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/spgo/sp"
)

// The read role of a pipe, which receivers may take from its reader
// goroutine (recvdirect.go says why): its states and how it passes.

// contendedCalls is how many calls of RecvQueued leave the read role with
// the reader goroutine after it went back because receivers contended for
// it, so that a pool of receivers does not pass it to and fro.
const contendedCalls = 1024

// Where a pipe's read role is: one state (readRole.st). It changes under
// readRole.mu, except that a receiver takes an idle role, and leaves it
// idle again, with one compare-and-swap (roleIdle to roleBusy and back), so
// that a steady receiver takes no lock per message.
const (
	roleReader = iota // the reader goroutine reads
	roleAsked         // a receiver asked; the reader was interrupted
	roleIdle          // receivers hold it, and none reads
	roleBusy          // one receiver reads
	roleBack          // one reads, and gives it back to the reader when done
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
	st        atomic.Int32 // roleReader, ...: see there
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
// receiver reading (the caller took it from roleIdle, or read itself).
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
	r.st.Store(roleReader)
	r.setDeadline(time.Time{})
	signal(r.returned)
}

// reclaim takes the role back for the reader goroutine (a second pipe has
// joined): at once if no receiver reads, or when the one reading is done.
func (r *readRole) reclaim() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.st.Load() == roleAsked {
		// The reader keeps it: an interrupted read finds it is not
		// asked any more, and a receiver waiting for it waits on the
		// queue, where the reader delivers.
		r.st.Store(roleReader)
		return
	}
	if r.takeBack() {
		r.interruptLocked()
	}
}

// takeBack gives the role back to the reader goroutine if receivers hold
// it idle, or has the one reading give it back when done, and then reports
// true; under mu.
func (r *readRole) takeBack() (reading bool) {
	for {
		switch r.st.Load() {
		case roleIdle:
			if r.st.CompareAndSwap(roleIdle, roleReader) {
				r.giveBack()
				return false
			}
		case roleBusy:
			if r.st.CompareAndSwap(roleBusy, roleBack) {
				return true
			}
		default:
			return false // with the reader, or asked back already
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
	if r.st.CompareAndSwap(roleIdle, roleReader) {
		r.giveBack()
	}
	r.mu.Unlock()
}

// stirred is called by the role watcher when the peer ended the connection
// of a role receivers hold: the reader goroutine reads what is left, and
// the end. A receiver reading meanwhile gives the role back when it is done
// (roleBack): it may return what was already buffered without reading the
// end, and the watcher tells only once.
func (r *readRole) stirred() {
	r.mu.Lock()
	r.takeBack()
	r.mu.Unlock()
}

// yield is called by the reader goroutine when its read was interrupted: if
// a receiver asked for the role, it hands the role over and waits for it to
// come back. It reports false if the pipe closed meanwhile, once the role
// is back with the reader.
func (p *Pipe) yield() bool {
	r := p.rr
	r.mu.Lock()
	if r.st.Load() == roleAsked && p.sock.solo.Load() != p {
		r.st.Store(roleReader) // no longer alone (see reclaim)
	}
	if r.st.Load() != roleAsked {
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
		r.st.Store(roleReader)
		r.setDeadline(time.Time{})
		r.mu.Unlock()
		if r.broken {
			p.sock.logWarn("receivers cannot read the pipe", "pipe", p.id, "err", err)
		}
		signal(r.given)
		return true
	}
	r.st.Store(roleIdle)
	p.sock.held.Store(p)
	r.mu.Unlock()
	signal(r.given)
	signal(p.sock.roleLeft) // for a receiver that stopped waiting for it
	select {
	case <-r.returned:
		return true
	case <-p.closed:
		// Take the role back, at once if it idles, else once the
		// receiver reading is done (the pipe is closed: its read ends
		// soon), so that the reader may read what the connection
		// still holds (see discard): nobody else will.
		r.mu.Lock()
		r.takeBack()
		reading := r.st.Load() == roleBack // also if asked back before
		r.mu.Unlock()
		if reading {
			<-r.returned
		}
		return false
	}
}

// countBatch is how many messages a receiver holding a read role reads
// under load before it updates the pipe's traffic statistics.
const countBatch = 64

// count adds what the holder read to the pipe's traffic statistics.
func (r *readRole) count() {
	if r.readMsgs > 0 {
		r.p.countRecv(r.readMsgs, r.readBytes)
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
