package inproc

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/spgo/sp"
)

// An inproc connection offers what lets the engine's receivers read it in
// their own goroutine, as they read a lone tcp or ipc pipe (see the engine's
// recvdirect.go): a read deadline that interrupts Recv without losing
// anything, and a call when the connection ends, in place of the watcher
// that sees a socket's peer leave.

// readDeadline is a connection's read deadline. Recv looks at it only
// before it would wait, so a message at hand is returned even past it.
type readDeadline struct {
	at   atomic.Int64     // the deadline in Unix nanoseconds; 0: none
	wake chan *sp.Message // the receiver's channel (lane.rx), for a token: the deadline changed or passed

	mu    sync.Mutex
	timer *time.Timer // pokes wake when a future deadline passes
}

// passed reports whether the deadline has passed.
func (d *readDeadline) passed() bool {
	at := d.at.Load()
	return at != 0 && passedAt(at) // small enough to inline
}

func passedAt(at int64) bool { return time.Now().UnixNano() >= at }

func (d *readDeadline) poke() { poke(d.wake) }

// set sets the deadline; the zero time clears it.
func (d *readDeadline) set(t time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.timer != nil {
		d.timer.Stop()
	}
	if t.IsZero() {
		d.at.Store(0)
		return
	}
	d.at.Store(t.UnixNano())
	if wait := time.Until(t); wait > 0 {
		if d.timer == nil {
			d.timer = time.AfterFunc(wait, d.poke)
		} else {
			d.timer.Reset(wait)
		}
		return
	}
	d.poke()
}

// stop stops the timer as the connection ends: a Recv returns at once
// then, and nothing is left to fire later.
func (d *readDeadline) stop() {
	d.mu.Lock()
	if d.timer != nil {
		d.timer.Stop()
	}
	d.mu.Unlock()
}

// SetReadDeadline sets the time after which a Recv that would wait fails
// with an error matching os.ErrDeadlineExceeded; the zero time means none.
// It may be called from any goroutine, also while Recv waits.
func (c *conn) SetReadDeadline(t time.Time) error {
	c.rd.set(t)
	return nil
}

// Resumable reports that a Recv a read deadline interrupted loses nothing:
// messages cross whole.
func (c *conn) Resumable() bool { return true }

// SendsEagerly reports that every send may go straight to the peer (see
// SendNow): an inproc connection gains nothing from a writer that gathers.
func (c *conn) SendsEagerly() bool { return true }

// NotifyEnd arranges for f to be called, once, when the connection ends
// (either end closes it), from the goroutine that closes it; a later call
// replaces f, and nil removes it. It reports false, and registers nothing,
// if the connection has already ended. f must not wait for the goroutine
// that closes the connection.
func (c *conn) NotifyEnd(f func()) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ended {
		c.onEnd[c.end] = nil
		return f == nil
	}
	c.onEnd[c.end] = f
	return true
}
