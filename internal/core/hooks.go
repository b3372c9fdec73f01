package core

import (
	"bytes"
	"runtime"
	"strconv"
	"sync"

	"github.com/spgo/sp"
)

// The pipe hook runs on a goroutine of its own, one per socket, that
// delivers pipe events in the order they happen. The goroutines Close waits
// for (readers, writers, dialers, listeners' accepts) never wait for a hook,
// except a pipe's start for its PipeAdding answer, and that wait ends when
// the socket or the pipe's dialer or listener closes (the pipe is then
// rejected). So a hook may call Close on its socket, a dialer or a
// listener, or Shutdown: nothing those wait for waits for the hook.
//
// Close waits for the hook goroutine to deliver every event (each pipe's
// PipeRemoved among them) and exit, unless Close is called from a hook: the
// hook cannot return before Close does. A hook that calls Close once the
// socket is closing finds it closed, and Close returns at once.

// hookEvent is one pipe event for the hook; answer, for PipeAdding, takes
// the hook's verdict.
type hookEvent struct {
	ev     sp.PipeEvent
	p      *Pipe
	answer chan bool
}

// hookRunner is the hook's goroutine and its queue.
type hookRunner struct {
	mu      sync.Mutex
	queue   []hookEvent
	wake    chan struct{} // a token: the queue changed, or closed
	running bool          // a hook call is in progress
	gid     uint64        // the hook goroutine's id (see goid)
	started bool
	closed  bool
	done    chan struct{} // closed when the goroutine exits
}

// SetPipeHook implements sp.Socket.
func (s *Socket) SetPipeHook(h sp.PipeHook) {
	if h == nil {
		s.hook.Store(nil)
		return
	}
	s.hook.Store(&h)
	r := &s.hooks
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.started && !r.closed {
		r.started = true
		r.wake = make(chan struct{}, 1)
		r.done = make(chan struct{})
		go s.runHooks()
	}
}

// callHook tells the hook of ev. For PipeAdding it waits for the verdict,
// which is false if the socket, or the pipe's dialer or listener, closes
// first; the other events it queues and returns true.
func (s *Socket) callHook(ev sp.PipeEvent, p *Pipe) bool {
	if s.hook.Load() == nil {
		return true
	}
	e := hookEvent{ev: ev, p: p}
	if ev == sp.PipeAdding {
		e.answer = make(chan bool, 1)
	}
	r := &s.hooks
	r.mu.Lock()
	if !r.started || r.closed {
		r.mu.Unlock()
		return ev != sp.PipeAdding // a closed socket takes no pipe
	}
	r.queue = append(r.queue, e)
	r.mu.Unlock()
	signal(r.wake)
	if e.answer == nil {
		return true
	}
	select {
	case ok := <-e.answer:
		return ok
	case <-s.closing:
		return false
	case <-p.ep.base().ctx.Done():
		return false
	}
}

// runHooks is the hook goroutine: it delivers queued events in order until
// the socket has closed and the queue is empty.
func (s *Socket) runHooks() {
	r := &s.hooks
	defer close(r.done)
	r.mu.Lock()
	r.gid = goid()
	r.mu.Unlock()
	for {
		r.mu.Lock()
		for len(r.queue) == 0 {
			if r.closed {
				r.mu.Unlock()
				return
			}
			r.mu.Unlock()
			<-r.wake
			r.mu.Lock()
		}
		e := r.queue[0]
		r.queue[0] = hookEvent{}
		r.queue = r.queue[1:]
		r.running = true
		r.mu.Unlock()

		ok := true
		if h := s.hook.Load(); h != nil {
			ok = (*h)(e.ev, e.p)
		}
		if e.answer != nil {
			e.answer <- ok
		}

		r.mu.Lock()
		r.running = false
		r.mu.Unlock()
	}
}

// closeHooks lets the hook goroutine finish: it delivers what is queued and
// exits. Close calls it once every other goroutine has ended, so nothing
// more is queued; it waits for the goroutine, unless it is the caller (a
// hook calling Close).
func (s *Socket) closeHooks() {
	r := &s.hooks
	r.mu.Lock()
	r.closed = true
	started, running, gid := r.started, r.running, r.gid
	r.mu.Unlock()
	if !started {
		return
	}
	signal(r.wake)
	if running && gid == goid() {
		return
	}
	<-r.done
}

// goid returns the calling goroutine's id, read from the first line of
// its stack trace ("goroutine 42 [running]:"), as golang.org/x/net/http2
// does for its own checks. Close uses it, once, to tell whether the hook
// goroutine calls it; nothing else does.
func goid() uint64 {
	var buf [64]byte
	b := buf[:runtime.Stack(buf[:], false)]
	b = bytes.TrimPrefix(b, []byte("goroutine "))
	if i := bytes.IndexByte(b, ' '); i > 0 {
		b = b[:i]
	}
	n, _ := strconv.ParseUint(string(b), 10, 64)
	return n
}
