package udp

import (
	"sync"

	"github.com/spgo/sp"
)

// recvQueueLen is how many messages a connection holds for its receiver.
// nng holds 16; a burst over loopback easily outruns that.
const recvQueueLen = 128

// inbox is a connection's receive queue: the endpoint's reader puts, the
// pipe's reader gets. When it is full the oldest message is dropped, as
// nng does: a datagram transport cannot push back on its sender, and the
// reader must never wait for one slow connection. It is safe for
// concurrent use.
type inbox struct {
	mu    sync.Mutex
	q     []*sp.Message // q[head:] are waiting
	head  int
	err   error // once set, get returns it when q is empty
	ready chan struct{}
}

func newInbox() *inbox { return &inbox{ready: make(chan struct{}, 1)} }

// put queues m, and reports whether it had to drop the oldest message to
// make room. After end or close m is freed.
func (b *inbox) put(m *sp.Message) (dropped bool) {
	b.mu.Lock()
	if b.err != nil {
		b.mu.Unlock()
		m.Free()
		return false
	}
	if len(b.q)-b.head >= recvQueueLen {
		b.q[b.head].Free()
		b.q[b.head] = nil
		b.head++
		dropped = true
	}
	if b.head > 0 && len(b.q) == cap(b.q) {
		n := copy(b.q, b.q[b.head:])
		clear(b.q[n:])
		b.q, b.head = b.q[:n], 0
	}
	b.q = append(b.q, m)
	b.mu.Unlock()
	b.signal()
	return dropped
}

func (b *inbox) signal() {
	select {
	case b.ready <- struct{}{}:
	default:
	}
}

// get returns the next message, waiting for one; once the inbox has ended
// and is empty it returns the error end gave.
func (b *inbox) get() (*sp.Message, error) {
	for {
		b.mu.Lock()
		if b.head < len(b.q) {
			m := b.q[b.head]
			b.q[b.head] = nil
			b.head++
			if b.head == len(b.q) {
				b.q, b.head = b.q[:0], 0
			}
			b.mu.Unlock()
			return m, nil
		}
		err := b.err
		b.mu.Unlock()
		if err != nil {
			return nil, err
		}
		<-b.ready
	}
}

// buffered reports whether get would return a message at once.
func (b *inbox) buffered() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.head < len(b.q)
}

// end lets get deliver what is queued, then return err. Only the first
// end or close counts.
func (b *inbox) end(err error) {
	b.mu.Lock()
	if b.err == nil {
		b.err = err
	}
	b.mu.Unlock()
	b.signal()
}

// close drops what is queued: get returns err at once.
func (b *inbox) close(err error) {
	b.mu.Lock()
	if b.err == nil {
		b.err = err
	}
	for _, m := range b.q[b.head:] {
		m.Free()
	}
	clear(b.q)
	b.q, b.head = b.q[:0], 0
	b.mu.Unlock()
	b.signal()
}
