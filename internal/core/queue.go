package core

import (
	"context"
	"sync"

	"github.com/spgo/sp"
)

// Queue is a bounded FIFO of messages whose length limit can change at any
// time. Blocking operations wait for room or a message, and give up when the
// context ends, the deadline passes, a cancel channel closes, or the queue is
// closed. A Queue is safe for concurrent use.
type Queue struct {
	mu       sync.Mutex
	ring     []*sp.Message // len(ring) is a power of two >= limit
	head, n  int
	limit    int
	closed   bool
	notEmpty chan struct{} // a token: "maybe not empty"
	notFull  chan struct{} // a token: "maybe not full"
	done     chan struct{} // closed by Close
}

// NewQueue returns a queue that holds at most limit messages (at least 1).
func NewQueue(limit int) *Queue {
	q := &Queue{
		notEmpty: make(chan struct{}, 1),
		notFull:  make(chan struct{}, 1),
		done:     make(chan struct{}),
	}
	q.SetLimit(limit)
	return q
}

// SetLimit changes the limit. Messages already queued beyond a smaller limit
// stay queued.
func (q *Queue) SetLimit(limit int) {
	if limit < 1 {
		limit = 1
	}
	q.mu.Lock()
	q.limit = limit
	if limit > len(q.ring) {
		size := 1
		for size < limit {
			size <<= 1
		}
		q.grow(size)
	}
	q.mu.Unlock()
	signal(q.notFull)
}

func (q *Queue) grow(size int) {
	r := make([]*sp.Message, size)
	for i := 0; i < q.n; i++ {
		r[i] = q.ring[(q.head+i)&(len(q.ring)-1)]
	}
	q.ring, q.head = r, 0
}

func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// Len returns the number of queued messages.
func (q *Queue) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.n
}

// TryPut queues m if there is room and reports whether it did. On false the
// caller still owns m.
func (q *Queue) TryPut(m *sp.Message) bool {
	q.mu.Lock()
	if q.closed || q.n >= q.limit {
		q.mu.Unlock()
		return false
	}
	q.ring[(q.head+q.n)&(len(q.ring)-1)] = m
	q.n++
	q.mu.Unlock()
	signal(q.notEmpty)
	return true
}

// Put queues m, waiting for room. On error the caller still owns m. It
// returns sp.ErrClosed when the queue or cancel closes.
func (q *Queue) Put(ctx context.Context, m *sp.Message, dl *Deadline, cancel <-chan struct{}) error {
	for {
		if q.TryPut(m) {
			return nil
		}
		if q.isClosed() {
			return sp.ErrClosed
		}
		select {
		case <-q.notFull:
		case <-q.done:
			return sp.ErrClosed
		case <-cancel:
			return sp.ErrClosed
		case <-ctx.Done():
			return sp.ContextError(ctx)
		case <-dl.C():
			return sp.ErrTimeout
		}
	}
}

func (q *Queue) isClosed() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.closed
}

// TryGet returns the oldest message, or nil if there is none.
func (q *Queue) TryGet() *sp.Message {
	q.mu.Lock()
	if q.n == 0 {
		q.mu.Unlock()
		return nil
	}
	m := q.pop()
	more := q.n > 0
	q.mu.Unlock()
	if more {
		signal(q.notEmpty) // pass the token on to another waiter
	}
	signal(q.notFull)
	return m
}

func (q *Queue) pop() *sp.Message {
	m := q.ring[q.head]
	q.ring[q.head] = nil
	q.head = (q.head + 1) & (len(q.ring) - 1)
	q.n--
	return m
}

// GetAll appends every queued message to buf and returns it; it never
// blocks.
func (q *Queue) GetAll(buf []*sp.Message) []*sp.Message {
	q.mu.Lock()
	had := q.n
	for q.n > 0 {
		buf = append(buf, q.pop())
	}
	q.mu.Unlock()
	if had > 0 {
		signal(q.notFull)
	}
	return buf
}

// Get returns the oldest message, waiting for one. It returns sp.ErrClosed
// when the queue or cancel closes.
func (q *Queue) Get(ctx context.Context, dl *Deadline, cancel <-chan struct{}) (*sp.Message, error) {
	for {
		if m := q.TryGet(); m != nil {
			return m, nil
		}
		if q.isClosed() {
			return nil, sp.ErrClosed
		}
		select {
		case <-q.notEmpty:
		case <-q.done:
			return nil, sp.ErrClosed
		case <-cancel:
			return nil, sp.ErrClosed
		case <-ctx.Done():
			return nil, sp.ContextError(ctx)
		case <-dl.C():
			return nil, sp.ErrTimeout
		}
	}
}

// Wait blocks until the queue may hold a message, or cancel or the queue
// closes (it then returns false). It takes nothing, and it is meant for a
// queue's only consumer (a pipe's writer), which then takes what is there
// with GetAll; it may return true for a queue that turns out empty.
func (q *Queue) Wait(cancel <-chan struct{}) bool {
	q.mu.Lock()
	n, closed := q.n, q.closed
	q.mu.Unlock()
	if closed {
		return false
	}
	if n > 0 {
		return true
	}
	select {
	case <-q.notEmpty:
		return true
	case <-q.done:
		return false
	case <-cancel:
		return false
	}
}

// Close closes the queue, frees the messages in it and wakes every waiter.
// It is idempotent.
func (q *Queue) Close() {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return
	}
	q.closed = true
	for q.n > 0 {
		q.pop().Free()
	}
	q.mu.Unlock()
	close(q.done)
}

// Done returns a channel closed when the queue is closed.
func (q *Queue) Done() <-chan struct{} { return q.done }
