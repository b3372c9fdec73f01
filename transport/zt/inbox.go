package zt

import (
	"sync"
	"time"
)

// A connection reassembles messages as their frames arrive and queues
// them for Recv in its inbox: at most inboxLen messages and, beyond
// inboxFew of them, at most inboxBytes bytes. A message from the network
// that finds no room is dropped, as a lost frame would drop it: the
// node's reader, which serves every connection on the link, never waits
// for one. A sender in this process waits up to inboxWait for room
// instead. An empty inbox holds (almost) no memory.
const (
	inboxLen   = 8192
	inboxFew   = 8
	inboxBytes = 4 << 20
)

var inboxWait = 5 * time.Second

// inbox is a connection's queue of whole messages. It is safe for
// concurrent use.
type inbox struct {
	mu      sync.Mutex
	q       [][]byte
	head    int // q[head:] are queued
	bytes   int
	waiting int           // senders in putWait waiting for room
	ready   chan struct{} // a token when a message came to an empty inbox
	room    chan struct{} // a token when take made room for a waiter
}

func newInbox() *inbox {
	return &inbox{ready: make(chan struct{}, 1), room: make(chan struct{}, 1)}
}

func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// add queues b if there is room; in.mu is held. It reports whether it
// did, and whether the inbox was empty.
func (in *inbox) add(b []byte) (ok, wasEmpty bool) {
	n := len(in.q) - in.head
	if n >= inboxLen || (n >= inboxFew && in.bytes+len(b) > inboxBytes) {
		return false, false
	}
	if in.head > 0 && len(in.q) == cap(in.q) {
		k := copy(in.q, in.q[in.head:])
		clear(in.q[k:])
		in.q, in.head = in.q[:k], 0
	}
	in.q = append(in.q, b)
	in.bytes += len(b)
	return true, n == 0
}

// put queues b and reports whether there was room for it.
func (in *inbox) put(b []byte) bool { return in.tryPut(b, false) }

// tryPut queues b if there is room; if not and wait is set, it counts
// the caller among the waiters before it lets go of the lock, so that the
// next take gives it a token.
func (in *inbox) tryPut(b []byte, wait bool) bool {
	in.mu.Lock()
	ok, wasEmpty := in.add(b)
	if !ok && wait {
		in.waiting++
	}
	in.mu.Unlock()
	if wasEmpty {
		signal(in.ready)
	}
	return ok
}

// putWait queues b, waiting up to d for room, or until done is closed.
// It reports whether b was queued.
func (in *inbox) putWait(b []byte, done <-chan struct{}, d time.Duration) bool {
	if in.tryPut(b, false) {
		return true // no timer for the common case
	}
	t := time.NewTimer(d)
	defer t.Stop()
	for !in.tryPut(b, true) {
		gaveUp := false
		select {
		case <-in.room:
		case <-done:
			gaveUp = true
		case <-t.C:
			gaveUp = true
		}
		in.mu.Lock()
		in.waiting--
		in.mu.Unlock()
		if gaveUp {
			return false
		}
	}
	return true
}

// take returns the oldest message, or false if there is none.
func (in *inbox) take() ([]byte, bool) {
	in.mu.Lock()
	n := len(in.q) - in.head
	if n == 0 {
		in.mu.Unlock()
		return nil, false
	}
	b := in.q[in.head]
	in.q[in.head] = nil
	in.head++
	in.bytes -= len(b)
	if n == 1 { // empty: keep a small array for the next message
		if cap(in.q) > 64 {
			in.q = nil
		} else {
			in.q = in.q[:0]
		}
		in.head = 0
	}
	waiting := in.waiting > 0
	in.mu.Unlock()
	if waiting {
		signal(in.room)
	}
	return b, true
}

// len returns the number of messages queued and their bytes.
func (in *inbox) len() (int, int) {
	in.mu.Lock()
	defer in.mu.Unlock()
	return len(in.q) - in.head, in.bytes
}
