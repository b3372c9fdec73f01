package core

import "time"

// Deadline is the timeout of one blocking call. Its timer starts only when
// the call actually blocks, so calls that complete at once cost nothing.
// A Deadline is not safe for concurrent use.
type Deadline struct {
	d   time.Duration
	t   *time.Timer
	end time.Time // when it passes, once At or C has fixed it
}

// NewDeadline returns a deadline d from the first call to C; d <= 0 means
// none.
func NewDeadline(d time.Duration) Deadline { return Deadline{d: d} }

// C returns a channel that receives when the deadline passes, starting the
// timer on first use, or nil (never ready) when there is no deadline.
func (dl *Deadline) C() <-chan time.Time {
	if dl == nil || dl.d <= 0 {
		return nil
	}
	if dl.t == nil {
		// A new timer each time, not one from a pool: a timer made in a
		// testing/synctest bubble belongs to it, and using it in another
		// bubble, or outside any, is a fatal error. Only a call that
		// blocks with a timeout pays for it.
		dl.t = time.NewTimer(time.Until(dl.At()))
	}
	return dl.t.C
}

// At returns when the deadline passes, counting from its first call (or
// C's), or the zero time when there is no deadline.
func (dl *Deadline) At() time.Time {
	if dl == nil || dl.d <= 0 { // small enough to inline
		return time.Time{}
	}
	return dl.at()
}

func (dl *Deadline) at() time.Time {
	if dl.end.IsZero() {
		dl.end = time.Now().Add(dl.d)
	}
	return dl.end
}

// Stop releases the timer, if one was started.
func (dl *Deadline) Stop() {
	if dl != nil && dl.t != nil {
		dl.t.Stop()
		dl.t = nil
	}
}
