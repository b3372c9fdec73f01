package surveyor

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/core"
	"github.com/spgo/sp/internal/wire"
)

// Protocol ids.
const (
	ProtocolID   = 0x62 // surveyor
	PeerID       = 0x63 // respondent
	ProtocolName = "surveyor"
	PeerName     = "respondent"
)

// SurveyTime is how long a survey collects answers (default 1 s, must be
// positive). It may be set on the socket, and on a context for that context
// alone; a survey keeps the value it was sent with.
var SurveyTime = sp.NewOption[time.Duration]("surveyor:survey-time")

func checkSurveyTime(d time.Duration) error {
	if d <= 0 {
		return fmt.Errorf("%v is not positive", d)
	}
	return nil
}

type surveyor struct {
	s     *core.Socket
	pipes core.PipeSet

	mu         sync.Mutex
	surveyTime time.Duration
	nextID     uint32
	byID       map[uint32]*survCtx // the surveys collecting answers
	ctxs       map[*survCtx]struct{}
	closed     bool
	def        *survCtx
	free       []*survCtx // contexts Survey may use again
}

// NewSocket returns a surveyor socket.
func NewSocket() (sp.Socket, error) { return core.NewSocket(&surveyor{}), nil }

func (r *surveyor) Init(s *core.Socket) {
	r.s = s
	r.nextID = rand.Uint32()
	r.byID = make(map[uint32]*survCtx)
	r.ctxs = make(map[*survCtx]struct{})
	core.Define(s.Options(), SurveyTime, time.Second, checkSurveyTime, false, func(d time.Duration) {
		r.mu.Lock()
		r.surveyTime = d
		if r.def != nil {
			r.def.surveyTime = d
		}
		r.mu.Unlock()
	})
	r.def = r.newCtx()
	r.def.bare = true
}

func (r *surveyor) Info() sp.ProtocolInfo {
	return sp.ProtocolInfo{Self: ProtocolID, Peer: PeerID, SelfName: ProtocolName, PeerName: PeerName}
}

// newCtx makes a context; r.mu is held or r is not shared yet.
func (r *surveyor) newCtx() *survCtx {
	c := &survCtx{r: r, surveyTime: r.surveyTime}
	c.tmo.Init(r.s)
	r.ctxs[c] = struct{}{}
	return c
}

func (r *surveyor) OpenContext() (sp.Context, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil, sp.ErrClosed
	}
	return core.NewContext(r.s, r.newCtx()), nil
}

func (r *surveyor) AddPipe(p *core.Pipe) error { r.pipes.Add(p); return nil }

func (r *surveyor) RemovePipe(p *core.Pipe) { r.pipes.Remove(p) }

// Received matches an answer to its survey by the survey id that heads it.
// Answers to no live survey (an old one, an expired one) are dropped, and so
// are answers beyond sp.RecvQueueLen waiting in one context.
func (r *surveyor) Received(p *core.Pipe, m *sp.Message) {
	if len(m.Body) < 4 {
		m.Free()
		p.CloseWith(fmt.Errorf("%w: an answer without its survey id", sp.ErrMalformed))
		return
	}
	id := wire.Uint32(m.Body)
	m.Body = m.Body[4:]
	m.Header = m.Header[:0]
	limit := core.Get(r.s.Options(), sp.RecvQueueLen)
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.byID[id]
	if c == nil || len(c.answers) >= limit {
		m.Free()
		if c == nil {
			r.s.Dropped(core.DropStale) // a late answer, or one to an old survey
		} else {
			r.s.Dropped(core.DropQueueFull)
		}
		return
	}
	c.answers = append(c.answers, m)
	c.changed.Broadcast()
}

func (r *surveyor) SendMsg(ctx context.Context, m *sp.Message, _ time.Duration) error {
	return r.def.send(ctx, m)
}

func (r *surveyor) RecvMsg(ctx context.Context, timeout time.Duration) (*sp.Message, error) {
	return r.def.recv(ctx, timeout)
}

func (r *surveyor) Close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed = true
	for c := range r.ctxs {
		c.close()
	}
}

// survCtx is the state of one survey at a time: the socket's own, or a
// context's. Its fields are guarded by r.mu.
type survCtx struct {
	r          *surveyor
	tmo        core.CtxTimeouts
	surveyTime time.Duration

	id      uint32        // the last survey sent, 0 before the first
	live    bool          // the survey id is still collecting answers
	timer   *time.Timer   // ends the live survey
	answers []*sp.Message // answers received, not yet read
	changed core.Notifier // an answer came, the survey ended, or closed
	closed  bool

	// bare: this is the socket's own state, which goroutines may share by
	// mistake. It runs one survey at a time: a Send while the last survey
	// still collects answers, or a Recv while another waits, fails, since
	// the answers would go to the wrong goroutine.
	bare    bool
	recving bool
}

// cancel ends the current survey and drops its unread answers.
func (c *survCtx) cancel() {
	c.end()
	for i, m := range c.answers {
		m.Free()
		c.answers[i] = nil
	}
	c.answers = c.answers[:0]
}

// end stops the survey collecting answers; those already received stay.
func (c *survCtx) end() {
	if c.live {
		delete(c.r.byID, c.id)
		c.live = false
	}
	if c.timer != nil {
		c.timer.Stop()
		c.timer = nil
	}
	c.changed.Broadcast()
}

func (c *survCtx) close() {
	if c.closed {
		return
	}
	c.cancel()
	c.closed = true
	delete(c.r.ctxs, c)
	c.changed.Broadcast()
}

func (c *survCtx) expire(id uint32) {
	c.r.mu.Lock()
	defer c.r.mu.Unlock()
	if c.id == id && c.live {
		c.r.s.Counter("surveys_timed_out").Add(1)
		c.end()
	}
}

// send starts a new survey, replacing the context's last one, and sends it
// to every respondent. It never blocks.
func (c *survCtx) send(ctx context.Context, m *sp.Message) error {
	r := c.r
	r.mu.Lock()
	if c.closed {
		r.mu.Unlock()
		m.Free()
		return sp.ErrClosed
	}
	if err := ctx.Err(); err != nil {
		r.mu.Unlock()
		m.Free()
		return sp.ContextError(ctx)
	}
	if c.bare && (c.live || c.recving) {
		r.mu.Unlock()
		m.Free()
		return errBusy
	}
	c.cancel() // a new survey replaces the old: its answers are dropped
	r.nextID++
	id := r.nextID | 0x80000000
	for r.byID[id] != nil { // a wrapped counter met a survey still live
		r.nextID++
		id = r.nextID | 0x80000000
	}
	c.id, c.live = id, true
	r.byID[id] = c
	c.timer = time.AfterFunc(c.surveyTime, func() { c.expire(id) })
	r.mu.Unlock()

	m.Header = wire.AppendUint32(m.Header[:0], id)
	r.pipes.Broadcast(m, nil)
	return nil
}

// recv returns the next answer to the current survey. Answers that came in
// time can be read after the survey ended; then recv fails with
// sp.ErrTimeout.
func (c *survCtx) recv(ctx context.Context, timeout time.Duration) (*sp.Message, error) {
	var dl core.Deadline
	defer dl.Stop()
	first := true
	for {
		c.r.mu.Lock()
		switch {
		case c.closed:
			c.r.mu.Unlock()
			return nil, sp.ErrClosed
		case c.id == 0:
			c.r.mu.Unlock()
			return nil, fmt.Errorf("%w: Recv on a surveyor socket needs a survey sent first", sp.ErrBadState)
		case len(c.answers) > 0:
			m := c.answers[0]
			copy(c.answers, c.answers[1:])
			c.answers[len(c.answers)-1] = nil
			c.answers = c.answers[:len(c.answers)-1]
			c.r.mu.Unlock()
			return m, nil
		case !c.live:
			c.r.mu.Unlock()
			return nil, ErrSurveyEnded
		}
		if first {
			if c.bare {
				if c.recving {
					c.r.mu.Unlock()
					return nil, errRecvBusy
				}
				c.recving = true
				defer c.doneRecving()
			}
		}
		changed := c.changed.Chan()
		c.r.mu.Unlock()
		if first {
			dl, first = core.NewDeadline(timeout), false
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return nil, sp.ContextError(ctx)
		case <-dl.C():
			return nil, sp.ErrTimeout
		case <-c.r.s.Closing():
			return nil, sp.ErrClosed
		}
	}
}

func (c *survCtx) doneRecving() {
	c.r.mu.Lock()
	c.recving = false
	c.r.mu.Unlock()
}
