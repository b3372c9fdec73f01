package req

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/core"
	"github.com/spgo/sp/internal/wire"
)

// Protocol ids.
const (
	ProtocolID   = 0x30 // req
	PeerID       = 0x31 // rep
	ProtocolName = "req"
	PeerName     = "rep"
)

// ResendTime is how long a request waits for its reply before it is sent
// again, to whichever rep peer is next (default 60 s; 0 disables resending).
// It may be set on the socket, and on a context for that context alone.
var ResendTime = sp.NewOption[time.Duration]("req:resend-time")

// testHookSent, if set, is called by a request's Send after it handed the
// request to p and before it records that: tests use it to close p there.
var testHookSent func(p *core.Pipe)

// testHookFire, if set, is called by a resend timer's run before it takes
// the lock (TestResendTimerStaleRun).
var testHookFire func()

type req struct {
	s       *core.Socket
	rr      core.RoundRobin
	resend  time.Duration  // guarded by mu
	resends *atomic.Uint64 // requests sent again (timer or lost peer)

	mu     sync.Mutex
	nextID uint32
	byID   map[uint32]*reqCtx
	ctxs   map[*reqCtx]struct{}
	closed bool
	def    *reqCtx
	free   []*reqCtx // contexts Request may use again
}

// NewSocket returns a req socket.
func NewSocket() (sp.Socket, error) { return core.NewSocket(&req{}), nil }

func (r *req) Init(s *core.Socket) {
	r.s, r.rr.S = s, s
	r.resends = s.Counter("resends")
	r.nextID = rand.Uint32()
	r.byID = make(map[uint32]*reqCtx)
	r.ctxs = make(map[*reqCtx]struct{})
	core.Define(s.Options(), ResendTime, 60*time.Second, nil, false, func(d time.Duration) {
		r.mu.Lock()
		r.resend = d
		if r.def != nil {
			r.def.resend = d
		}
		r.mu.Unlock()
	})
	r.def = r.newCtx()
	r.def.bare = true
}

func (r *req) Info() sp.ProtocolInfo {
	return sp.ProtocolInfo{Self: ProtocolID, Peer: PeerID, SelfName: ProtocolName, PeerName: PeerName}
}

func (r *req) newCtx() *reqCtx {
	c := &reqCtx{r: r, reply: make(chan *sp.Message, 1), done: make(chan struct{}), resend: r.resend}
	c.life, c.kill = context.WithCancel(context.Background())
	c.tmo.Init(r.s)
	r.ctxs[c] = struct{}{}
	return c
}

func (r *req) OpenContext() (sp.Context, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil, sp.ErrClosed
	}
	return core.NewContext(r.s, r.newCtx()), nil
}

// AddPipe adds a rep peer and sends it any request still waiting for one.
func (r *req) AddPipe(p *core.Pipe) error {
	r.rr.Add(p)
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range r.byID {
		if c.pipe == nil && !c.sending {
			c.dispatch()
		}
	}
	return nil
}

// RemovePipe sends the requests that were waiting on p to another peer at
// once, rather than waiting for the resend timer.
func (r *req) RemovePipe(p *core.Pipe) {
	r.rr.Remove(p)
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range r.byID {
		if c.pipe == p {
			c.pipe = nil
			c.lost++
			c.lastLoss = p.Reason()
			r.resends.Add(1)
			c.dispatch()
		}
	}
}

// Received matches a reply to its request by the request id that heads it;
// replies to no current request are dropped.
func (r *req) Received(p *core.Pipe, m *sp.Message) {
	if len(m.Body) < 4 {
		m.Free()
		p.CloseWith(fmt.Errorf("%w: a reply without its request id", sp.ErrMalformed))
		return
	}
	id := wire.Uint32(m.Body)
	m.Body = m.Body[4:]
	r.mu.Lock()
	c := r.byID[id]
	if c == nil {
		r.mu.Unlock()
		m.Free()
		r.s.Dropped(core.DropStale) // a reply to a canceled or answered request
		return
	}
	c.finish()
	select {
	case c.reply <- m:
	default:
		m.Free()
	}
	r.mu.Unlock()
}

func (r *req) SendMsg(ctx context.Context, m *sp.Message, timeout time.Duration) error {
	return r.def.send(ctx, m, timeout)
}

func (r *req) RecvMsg(ctx context.Context, timeout time.Duration) (*sp.Message, error) {
	return r.def.recv(ctx, timeout)
}

func (r *req) Close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed = true
	for c := range r.ctxs {
		c.close()
	}
}

// reqCtx is the state of one request at a time: the socket's own, or a
// context's. Its fields are guarded by r.mu.
type reqCtx struct {
	r      *req
	tmo    core.CtxTimeouts
	resend time.Duration

	id      uint32      // the outstanding request, 0 for none
	msg     *sp.Message // its message, kept to resend
	pipe    *core.Pipe  // where it went, nil while it waits for a pipe
	sending bool        // Send is handing it to a pipe: no one else may
	timer   *time.Timer // resend timer, made once, reset per request
	pending bool        // the timer is set, and its run has not begun
	stale   int         // runs begun for a timer since stopped: they do nothing
	reply   chan *sp.Message
	closed  bool
	done    chan struct{}
	life    context.Context // canceled when the context closes
	kill    context.CancelFunc

	// bare: this is the socket's own state, which goroutines may share by
	// mistake; it serves one exchange at a time (see busy).
	bare     bool
	recving  bool  // a Recv is waiting for the reply
	lost     int   // times the request's pipe closed under it
	lastLoss error // why it last did
}

// busy reports why a Send on the socket itself must not start a new
// request: the exchange before it is not over (its reply not yet returned
// by Recv, nor the request canceled). Sending anyway would hand that
// exchange's reply to whoever calls Recv next: another goroutine's, when
// goroutines share the socket.
func (c *reqCtx) busy() bool {
	return c.id != 0 || c.sending || c.recving || len(c.reply) > 0
}

// cancel forgets the outstanding request and any reply not yet received.
func (c *reqCtx) cancel() {
	c.finish()
	select {
	case m := <-c.reply:
		m.Free()
	default:
	}
}

// finish ends the outstanding request (its reply came, or it was
// canceled).
func (c *reqCtx) finish() {
	if c.id == 0 {
		return
	}
	delete(c.r.byID, c.id)
	c.id = 0
	c.pipe = nil
	c.stopTimer()
	c.msg.Free()
	c.msg = nil
}

func (c *reqCtx) close() {
	if c.closed {
		return
	}
	c.cancel()
	c.closed = true
	close(c.done)
	c.kill() // wakes a Send waiting for a peer
	delete(c.r.ctxs, c)
}

// dispatch sends the request to a peer with room, if there is one, and
// (re)arms the resend timer.
func (c *reqCtx) dispatch() {
	if p := c.r.rr.TrySend(c.msg.Clone()); p != nil {
		c.pipe = p
	} else {
		c.msg.Free() // drop the clone's reference
		c.pipe = nil
	}
	c.arm()
}

func (c *reqCtx) arm() {
	c.stopTimer()
	if c.resend <= 0 {
		return
	}
	c.pending = true
	if c.timer == nil {
		c.timer = time.AfterFunc(c.resend, c.fire)
	} else {
		c.timer.Reset(c.resend)
	}
}

// stopTimer stops the resend timer. If its run has begun and not yet taken
// the lock (Stop then reports false while pending), that run is stale:
// counted, so that it does nothing once it gets the lock.
func (c *reqCtx) stopTimer() {
	if c.pending {
		c.pending = false
		if !c.timer.Stop() {
			c.stale++
		}
	}
}

// fire is the resend timer's function: it sends the request again, unless
// it is a stale run (see stopTimer).
func (c *reqCtx) fire() {
	if testHookFire != nil {
		testHookFire()
	}
	c.r.mu.Lock()
	defer c.r.mu.Unlock()
	if c.stale > 0 {
		c.stale--
		return
	}
	c.pending = false
	if c.id != 0 && !c.closed {
		c.r.resends.Add(1)
		c.dispatch()
	}
}

// begin makes m the context's outstanding request, under a new request id,
// which it returns; under r.mu, with no request outstanding.
func (c *reqCtx) begin(m *sp.Message) uint32 {
	r := c.r
	c.lost, c.lastLoss = 0, nil
	r.nextID++
	id := r.nextID | 0x80000000
	for r.byID[id] != nil { // a wrapped counter met a request still out
		r.nextID++
		id = r.nextID | 0x80000000
	}
	m.Header = wire.AppendUint32(m.Header[:0], id)
	c.id, c.msg = id, m
	r.byID[id] = c
	return id
}

func (c *reqCtx) send(ctx context.Context, m *sp.Message, timeout time.Duration) error {
	r := c.r
	r.mu.Lock()
	if c.closed {
		r.mu.Unlock()
		m.Free()
		return sp.ErrClosed
	}
	if c.bare && c.busy() {
		r.mu.Unlock()
		m.Free()
		return errBusy
	}
	c.cancel() // a new request replaces the old
	id := c.begin(m)
	c.sending = true
	r.mu.Unlock()

	// Wait for a peer with room: the request is sent once before Send
	// returns, then again by the resend timer until its reply comes.
	p, err := c.sendWaiting(ctx, m, timeout)
	if testHookSent != nil && err == nil {
		testHookSent(p)
	}

	r.mu.Lock()
	defer r.mu.Unlock()
	if c.id != id {
		if c.id == 0 {
			c.sending = false // replied to (or canceled) already
		}
		if err != nil && c.closed {
			return err // the close that canceled it woke Send: not sent
		}
		return nil // or replaced, by a Send that is sending now
	}
	c.sending = false
	if err != nil {
		c.finish()
		return err
	}
	if p.IsClosed() {
		// p closed while Send handed it the request, and RemovePipe may
		// have looked for requests on p before c.pipe said so: send it
		// again now rather than when the resend timer fires.
		r.resends.Add(1)
		c.dispatch()
		return nil
	}
	c.pipe = p
	c.arm()
	return nil
}

// sendWaiting hands m (a clone of it) to a peer with room, waiting for
// one until ctx ends, the timeout passes, the socket closes or the context
// does (sp.ErrClosed).
func (c *reqCtx) sendWaiting(ctx context.Context, m *sp.Message, timeout time.Duration) (*core.Pipe, error) {
	if p := c.r.rr.TrySend(m.Clone()); p != nil {
		return p, nil
	}
	m.Free() // the clone's reference
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(c.life, cancel)
	defer stop()
	p, err := c.r.rr.Send(sctx, m.Clone(), timeout)
	if err != nil && c.life.Err() != nil {
		err = fmt.Errorf("%w: the context was closed", sp.ErrClosed)
	}
	return p, err
}

func (c *reqCtx) recv(ctx context.Context, timeout time.Duration) (*sp.Message, error) {
	r := c.r
	r.mu.Lock()
	if c.closed {
		r.mu.Unlock()
		return nil, sp.ErrClosed
	}
	if c.id == 0 && len(c.reply) == 0 {
		r.mu.Unlock()
		return nil, fmt.Errorf("%w: Recv on a req socket needs a request sent first", sp.ErrBadState)
	}
	if c.recving {
		r.mu.Unlock()
		return nil, errRecvBusy
	}
	select {
	case m := <-c.reply:
		r.mu.Unlock()
		return m, nil
	default:
	}
	c.recving = true
	id := c.id
	r.mu.Unlock()

	dl := core.NewDeadline(timeout)
	defer dl.Stop()
	var err error
	select {
	case m := <-c.reply:
		r.mu.Lock()
		c.recving = false
		r.mu.Unlock()
		return m, nil
	case <-ctx.Done():
		err = sp.ContextError(ctx)
	case <-dl.C():
		err = sp.ErrTimeout
	case <-c.done: // closed by the context's Close, and the socket's (req.Close)
		return nil, sp.ErrClosed
	}
	// The caller gave up: cancel the request, as nng does, so that it is
	// not sent again and a late reply is dropped.
	r.mu.Lock()
	defer r.mu.Unlock()
	c.recving = false
	select {
	case m := <-c.reply: // it came as the wait ended
		return m, nil
	default:
	}
	if c.id == id {
		c.finish()
	}
	if c.lost > 0 {
		err = fmt.Errorf("%w: the request's connection to a %s peer was lost %d times (last: %v); "+
			"a peer closes it at once when it refuses the request, such as one over its sp.RecvMaxSize",
			err, PeerName, c.lost, c.lastLoss)
	}
	return nil, err
}

// Errors of a req socket shared by goroutines without contexts.
var (
	errBusy = fmt.Errorf("%w: Send on a req socket while its last request is outstanding "+
		"(Recv its reply first; goroutines that share a socket use req.Request or a context each)", sp.ErrBadState)
	errRecvBusy = fmt.Errorf("%w: Recv on a req socket while another Recv waits for the same reply "+
		"(goroutines that share a socket use req.Request or a context each)", sp.ErrBadState)
)
