package core

// The send queue as its one consumer, a pipe's writer goroutine, uses it:
// Wait for something to write, GetAll (queue.go) to take it; Kick, for a
// flush with nothing queued; Seal and Puts, for Shutdown.

// Kick makes Wait return true once (now, or at its next call) without a
// message: a pipe's writer then flushes what its connection holds.
func (q *Queue) Kick() {
	q.mu.Lock()
	q.kicked = true
	if q.getters > 0 {
		signal(q.notEmpty)
	}
	q.mu.Unlock()
}

// Wait blocks until the queue may hold a message or Kick is called, or
// cancel or the queue closes (it then returns false). It takes nothing,
// and it is meant for a queue's only consumer (a pipe's writer), which then
// takes what is there with GetAll; it may return true for a queue that
// turns out empty.
func (q *Queue) Wait(cancel <-chan struct{}) bool {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return false
	}
	if q.n > 0 || q.kicked {
		q.kicked = false
		q.mu.Unlock()
		return true
	}
	q.getters++
	q.waiters.Store(int32(q.getters))
	q.mu.Unlock()
	ok := false
	select {
	case <-q.notEmpty:
		ok = true
	case <-cancel:
	}
	q.mu.Lock()
	q.getters--
	q.waiters.Store(int32(q.getters))
	if q.closed {
		q.passClosed()
		ok = false
	}
	if ok {
		q.kicked = false
	}
	q.mu.Unlock()
	return ok
}

// Seal makes the queue refuse every message from now on (TryPut reports
// false, Put fails with ErrStopped); what it holds stays for the getters.
func (q *Queue) Seal() {
	q.mu.Lock()
	q.sealed = true
	q.mu.Unlock()
	signal(q.notFull) // a waiting Put sees it
}

// Puts returns how many messages were ever queued.
func (q *Queue) Puts() uint64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.puts
}
