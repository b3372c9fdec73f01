package core

import "sync/atomic"

// Notifier wakes every goroutine waiting for a change, such as a pipe
// getting room in its send queue. It is safe for concurrent use; the zero
// value is ready.
type Notifier struct {
	ch atomic.Pointer[chan struct{}]
}

// Chan returns a channel that is closed at the next Broadcast. Take it before
// checking the condition, then wait on it.
func (n *Notifier) Chan() <-chan struct{} {
	for {
		if p := n.ch.Load(); p != nil {
			return *p
		}
		c := make(chan struct{})
		if n.ch.CompareAndSwap(nil, &c) {
			return c
		}
	}
}

// Broadcast wakes every waiter. It costs one atomic load when no one waits.
func (n *Notifier) Broadcast() {
	if n.ch.Load() == nil {
		return
	}
	if p := n.ch.Swap(nil); p != nil {
		close(*p)
	}
}
