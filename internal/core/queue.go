package core

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"

	"github.com/spgo/sp"
)

// Queue is a bounded FIFO of messages whose length limit can change at any
// time. Blocking operations wait for room or a message, and give up when the
// context ends, the deadline passes, a cancel channel closes, or the queue is
// closed. A Queue is safe for concurrent use.
//
// Waiters count themselves (under mu) before they wait, so that a put or a
// get wakes somebody only when somebody waits: a queue that flows without
// waiting costs one lock per operation and no channel operation. Close
// wakes them through the same tokens, each woken waiter passing the token
// on, so that a waiter selects on no channel that every waiter shares but
// the token's (a shared channel is a lock every select takes).
type Queue struct {
	mu       sync.Mutex
	ring     []*sp.Message // len(ring) is a power of two >= limit
	head, n  int
	limit    int
	closed   bool
	sealed   bool          // Seal was called: nothing more is queued
	puts     uint64        // messages ever queued
	getters  int           // goroutines waiting (or about to) for a message
	size     atomic.Int32  // n, for looks without the lock
	waiters  atomic.Int32  // getters, likewise
	putters  int           // goroutines waiting (or about to) for room
	kicked   bool          // Kick was called and Wait has not returned for it
	notEmpty chan struct{} // a token: "maybe not empty"
	notFull  chan struct{} // a token: "maybe not full"

	// stop, when set (before the queue is used), makes Put give up with
	// ErrStopped once it closes: a pipe's send queue has its socket's
	// (see Socket.Shutdown).
	stop <-chan struct{}
}

// NewQueue returns a queue that holds at most limit messages (at least 1).
func NewQueue(limit int) *Queue {
	q := &Queue{
		notEmpty: make(chan struct{}, 1),
		notFull:  make(chan struct{}, 1),
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
func (q *Queue) Len() int { return int(q.size.Load()) }

// TryPut queues m if there is room and reports whether it did. On false the
// caller still owns m.
func (q *Queue) TryPut(m *sp.Message) bool {
	q.mu.Lock()
	ok, _ := q.putLocked(m)
	q.mu.Unlock()
	return ok
}

// putLocked queues m if it can, and reports whether it did and whether a
// getter was waiting (and is now woken); under mu.
func (q *Queue) putLocked(m *sp.Message) (ok, woke bool) {
	if q.closed || q.sealed || q.n >= q.limit {
		return false, false
	}
	q.ring[(q.head+q.n)&(len(q.ring)-1)] = m
	q.n++
	q.puts++
	q.size.Store(int32(q.n))
	if q.getters > 0 {
		signal(q.notEmpty)
		woke = true
	}
	if q.putters > 0 && q.n < q.limit {
		signal(q.notFull) // pass the turn on: room is left
	}
	return true, woke
}

// Put queues m, waiting for room. On error the caller still owns m. It
// returns sp.ErrClosed when the queue or cancel closes, ErrStopped when the
// queue is sealed or its stop channel closes.
func (q *Queue) Put(ctx context.Context, m *sp.Message, dl *Deadline, cancel <-chan struct{}) error {
	q.mu.Lock()
	for {
		if ok, _ := q.putLocked(m); ok {
			q.mu.Unlock()
			return nil
		}
		if q.closed {
			q.passClosed()
			q.mu.Unlock()
			return sp.ErrClosed
		}
		if q.sealed {
			q.mu.Unlock()
			return ErrStopped
		}
		q.putters++
		q.mu.Unlock()
		var err error
		select {
		case <-q.notFull:
		case <-q.stop:
			err = ErrStopped
		case <-cancel:
			err = sp.ErrClosed
		case <-ctx.Done():
			err = sp.ContextError(ctx)
		case <-dl.C():
			err = sp.ErrTimeout
		}
		q.mu.Lock()
		q.putters--
		if err != nil {
			q.mu.Unlock()
			return err
		}
	}
}

// PutBatch queues every message of ms in order, taking the lock once for as
// many as fit and waiting for room for the rest. It reports whether it woke
// a goroutine waiting for a message. On error (sp.ErrClosed when the queue
// or cancel closes) it frees the messages it did not queue, and says how
// many.
func (q *Queue) PutBatch(ms []*sp.Message, cancel <-chan struct{}) (woke bool, freed int, err error) {
	q.mu.Lock()
	for {
		for len(ms) > 0 {
			ok, w := q.putLocked(ms[0])
			if !ok {
				break
			}
			woke = woke || w
			ms = ms[1:]
		}
		if len(ms) == 0 || q.closed {
			if q.closed {
				q.passClosed()
			}
			q.mu.Unlock()
			if len(ms) > 0 {
				freeAll(ms)
				return woke, len(ms), sp.ErrClosed
			}
			return woke, 0, nil
		}
		q.putters++
		q.mu.Unlock()
		closed := false
		select {
		case <-q.notFull:
		case <-cancel:
			closed = true
		}
		q.mu.Lock()
		q.putters--
		if closed {
			q.mu.Unlock()
			freeAll(ms)
			return woke, len(ms), sp.ErrClosed
		}
	}
}

func freeAll(ms []*sp.Message) {
	for _, m := range ms {
		m.Free()
	}
}

// TryGet returns the oldest message, or nil if there is none.
func (q *Queue) TryGet() *sp.Message {
	if q.size.Load() == 0 { // small enough to inline: every Recv asks
		return nil
	}
	return q.tryGet()
}

func (q *Queue) tryGet() *sp.Message {
	q.mu.Lock()
	m := q.getLocked()
	q.mu.Unlock()
	return m
}

// getLocked takes the oldest message, or returns nil, waking a putter;
// under mu.
func (q *Queue) getLocked() *sp.Message {
	if q.n == 0 {
		return nil
	}
	m := q.pop()
	if q.getters > 0 && q.n > 0 {
		signal(q.notEmpty) // pass the turn on: messages are left
	}
	if q.putters > 0 {
		signal(q.notFull)
	}
	return m
}

func (q *Queue) pop() *sp.Message {
	m := q.ring[q.head]
	q.ring[q.head] = nil
	q.head = (q.head + 1) & (len(q.ring) - 1)
	q.n--
	q.size.Store(int32(q.n))
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
	if had > 0 && q.putters > 0 {
		signal(q.notFull)
	}
	q.mu.Unlock()
	return buf
}

// Get returns the oldest message, waiting for one. It returns sp.ErrClosed
// when the queue or cancel closes.
func (q *Queue) Get(ctx context.Context, dl *Deadline, cancel <-chan struct{}) (*sp.Message, error) {
	return q.GetOr(ctx, dl, cancel, nil)
}

// errAlt is GetOr's error when alt became ready.
var errAlt = errors.New("core: alternative ready")

// GetOr is Get that also gives up, returning errAlt, when alt becomes ready
// (a nil alt never does).
func (q *Queue) GetOr(ctx context.Context, dl *Deadline, cancel, alt <-chan struct{}) (*sp.Message, error) {
	q.mu.Lock()
	for {
		if m := q.getLocked(); m != nil {
			q.mu.Unlock()
			return m, nil
		}
		if q.closed {
			q.passClosed()
			q.mu.Unlock()
			return nil, sp.ErrClosed
		}
		q.getters++
		q.waiters.Store(int32(q.getters))
		q.mu.Unlock()
		var err error
		select {
		case <-q.notEmpty:
		case <-cancel:
			err = sp.ErrClosed
		case <-ctx.Done():
			err = sp.ContextError(ctx)
		case <-dl.C():
			err = sp.ErrTimeout
		case <-alt:
			err = errAlt
		}
		q.mu.Lock()
		q.getters--
		q.waiters.Store(int32(q.getters))
		if err != nil {
			q.mu.Unlock()
			return nil, err
		}
	}
}

// Room reports whether a message could be queued now.
func (q *Queue) Room() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return !q.closed && q.n < q.limit
}

// Waiting reports whether a goroutine waits for a message.
func (q *Queue) Waiting() bool { return q.waiters.Load() > 0 }

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
	q.passClosed()
	q.mu.Unlock()
}

// passClosed wakes a waiter, if there is one, to find the queue closed;
// each passes the wake on. Under mu, with closed set.
func (q *Queue) passClosed() {
	if q.getters > 0 {
		signal(q.notEmpty)
	}
	if q.putters > 0 {
		signal(q.notFull)
	}
}
