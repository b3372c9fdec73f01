package replier

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/core"
	"github.com/spgo/sp/internal/msgtrack"
)

// DefaultConcurrency is how many handlers Serve runs at once when the
// caller does not say.
const DefaultConcurrency = 128

// Handler answers one request (or survey): it returns the reply's body,
// or an error to send none.
type Handler = func(ctx context.Context, request []byte) ([]byte, error)

// Serve receives requests on n contexts of s, a cooked socket of the
// protocol info names, and answers each with h's reply, to the one who
// asked. It returns when ctx ends (ctx's error), s closes (an error wrapping
// sp.ErrClosed), or at once for a socket it cannot serve; in every case
// after every handler it started has returned.
//
// With inline, requests are answered on the goroutines of the pipes that
// read them as well (see inlineServer); the n contexts answer what was
// queued before.
func Serve(ctx context.Context, s sp.Socket, info sp.ProtocolInfo, n int, inline bool, h Handler) error {
	if h == nil {
		return fmt.Errorf("%w: %s.Serve needs a handler", sp.ErrBadState, info.SelfName)
	}
	cs, ok := s.(*core.Socket)
	var p *Protocol
	if ok {
		p, ok = cs.Protocol().(*Protocol)
	}
	if !ok || p.info.Self != info.Self {
		return fmt.Errorf("%w: %s.Serve needs a socket from %s.NewSocket, not a %s socket",
			sp.ErrNotSupported, info.SelfName, info.SelfName, describe(s))
	}
	if n <= 0 {
		n = DefaultConcurrency
	}
	if ctx == nil {
		ctx = context.Background()
	}
	ctxs := make([]sp.Context, 0, n)
	defer func() {
		for _, c := range ctxs {
			c.Close()
		}
	}()
	for range n {
		c, err := p.OpenContext()
		if err != nil {
			return fmt.Errorf("%s.Serve: %w", info.SelfName, err)
		}
		ctxs = append(ctxs, c)
	}
	w := worker{s: cs, noun: p.noun, h: h}
	if inline {
		// One Serve at a time answers inline: a second one running at
		// once answers on its contexts only.
		if is := (&inlineServer{ctx: ctx, w: w}); p.inline.CompareAndSwap(nil, is) {
			defer is.stop(p)
		}
	}
	// Each worker waits for a request under a context of its own, which
	// ctx's end cancels: a channel that every waiting worker's select took
	// (ctx.Done) was a lock they all shared. Handlers and replies get ctx.
	recvCtxs := make([]context.Context, n)
	cancels := make([]context.CancelFunc, n)
	for i := range recvCtxs {
		recvCtxs[i], cancels[i] = context.WithCancel(context.Background())
	}
	stop := context.AfterFunc(ctx, func() {
		for _, cancel := range cancels {
			cancel()
		}
	})
	defer func() {
		stop()
		for _, cancel := range cancels {
			cancel()
		}
	}()
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i, c := range ctxs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = w.run(ctx, recvCtxs[i], c)
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func describe(s sp.Socket) string {
	if s == nil {
		return "nil"
	}
	if raw, err := sp.GetOption(s, sp.Raw); err == nil && raw {
		return "raw " + s.Info().SelfName
	}
	return s.Info().SelfName
}

// worker answers requests on one context at a time.
type worker struct {
	s    *core.Socket
	noun string
	h    Handler
}

// run answers requests on c until ctx ends (which ends recvCtx too: it is
// what the wait for a request is bounded by) or c closes.
func (w worker) run(ctx, recvCtx context.Context, c sp.Context) error {
	for {
		m, err := c.RecvMsg(recvCtx)
		switch {
		case err == nil:
		case ctx.Err() != nil:
			return nil // Serve reports ctx's error once
		case errors.Is(err, sp.ErrTimeout):
			continue // sp.RecvTimeout on the socket: nothing came yet
		default:
			return err // closed
		}
		msgtrack.ToLibrary(m) // the worker frees it, after the handler
		body, err := w.call(ctx, m.Body)
		if err != nil {
			m.Free()
			w.failed(err)
			continue
		}
		// The handler may have returned a slice of the request: the
		// reply is copied before the request's buffer is freed.
		out := sp.NewMessage(len(body))
		out.Body = append(out.Body, body...)
		m.Free()
		if err := c.SendMsg(ctx, out); err != nil {
			w.notSent(ctx, err)
		}
	}
}

// failed counts and logs a handler's error: no answer is sent.
func (w worker) failed(err error) {
	w.s.Counter("handler_errors").Add(1)
	if l := w.s.Logger(); l != nil {
		l.Warn("handler failed: no answer sent", "what", w.noun, "err", err)
	}
}

// notSent logs an answer that could not be sent, unless the socket closed
// or ctx ended.
func (w worker) notSent(ctx context.Context, err error) {
	if errors.Is(err, sp.ErrClosed) || ctx.Err() != nil {
		return
	}
	if l := w.s.Logger(); l != nil {
		l.Warn("answer not sent", "what", w.noun, "err", err)
	}
}

// call runs the handler, turning a panic into an error.
func (w worker) call(ctx context.Context, req []byte) (body []byte, err error) {
	defer func() {
		if v := recover(); v != nil {
			w.s.Counter("handler_panics").Add(1)
			err = fmt.Errorf("handler panicked: %v\n%s", v, debug.Stack())
		}
	}()
	return w.h(ctx, req)
}

// inlineServer answers requests on the pipe readers' goroutines: a
// request's handler runs in Protocol.Received, on the goroutine that read
// it, and its reply goes back on the same pipe with Pipe.Reply, which
// writes the replies to the requests read together in one write. Serve
// stops it before it returns, waiting for the handlers running (mu: each
// holds the read lock).
type inlineServer struct {
	ctx     context.Context
	w       worker
	mu      sync.RWMutex
	stopped bool // under mu
}

// stop ends inline answering and waits for the handlers running.
func (is *inlineServer) stop(p *Protocol) {
	p.inline.CompareAndSwap(is, nil)
	is.mu.Lock()
	is.stopped = true
	is.mu.Unlock()
}

// answer runs the handler on m, a request from p whose header is the
// backtrace behind p's id, sends the reply back on p, and reports true; or
// reports false, m still the caller's, if Serve is stopping.
func (is *inlineServer) answer(p *core.Pipe, m *sp.Message) bool {
	is.mu.RLock()
	defer is.mu.RUnlock()
	if is.stopped || is.ctx.Err() != nil {
		return false
	}
	body, err := is.w.call(is.ctx, m.Body)
	if err != nil {
		m.Free()
		is.w.failed(err)
		return true
	}
	// The reply is copied before the request's buffer is freed (the
	// handler may answer with a slice of it); its header is the
	// request's backtrace, less p's id.
	out := sp.NewMessage(len(body))
	msgtrack.ToLibrary(out)
	out.Body = append(out.Body, body...)
	out.Header = append(out.Header[:0], m.Header[4:]...)
	m.Free()
	if !p.Reply(out) {
		// No room: wait for it, which holds up this pipe's reading (the
		// requester is not reading its replies).
		if err := p.SendOrDrop(is.ctx, out, 0); err != nil {
			is.w.notSent(is.ctx, err)
		}
	}
	return true
}
