package req

import (
	"context"
	"fmt"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/core"
)

// Request sends body as a request on s, a socket from NewSocket, and returns
// its reply. Any number of goroutines may call Request at once on one
// socket: each request has its own context inside the socket, so each
// caller gets the reply to its own request, never another's.
//
// The request is sent again after ResendTime without a reply, and at once
// to another peer when its connection is lost. Request returns when the
// reply comes, ctx ends (the request is then canceled: it is not sent
// again, and a late reply is dropped), the socket's sp.SendTimeout or
// sp.RecvTimeout expires, or the socket closes. The reply belongs to the
// caller.
//
// Request costs what a context's Send and Recv cost: the contexts it uses
// are kept for the next call.
func Request(ctx context.Context, s sp.Socket, body []byte) ([]byte, error) {
	r, err := reqOf(s)
	if err != nil {
		return nil, err
	}
	if ctx == nil {
		ctx = context.Background()
	}
	if err := r.s.CheckSend(); err != nil { // Shutdown has begun
		return nil, err
	}
	c, err := r.take()
	if err != nil {
		return nil, err
	}
	defer r.give(c)
	if err := c.send(ctx, core.CopyBody(body), c.tmo.Send()); err != nil {
		return nil, r.s.ExplainTimeout("send", err)
	}
	m, err := c.recv(ctx, c.tmo.Recv())
	if err != nil {
		return nil, r.s.ExplainTimeout("recv", err)
	}
	// The reply's own copy, so that its message goes back to the pool:
	// cheaper than a message and its buffer made anew for every reply.
	b := make([]byte, len(m.Body))
	copy(b, m.Body)
	m.Free()
	return b, nil
}

// reqOf returns the req protocol behind s.
func reqOf(s sp.Socket) (*req, error) {
	if cs, ok := s.(*core.Socket); ok {
		if r, ok := cs.Protocol().(*req); ok {
			return r, nil
		}
	}
	return nil, fmt.Errorf("%w: req.Request needs a socket from req.NewSocket, not a %s socket",
		sp.ErrNotSupported, describe(s))
}

func describe(s sp.Socket) string {
	if s == nil {
		return "nil"
	}
	info := s.Info()
	if raw, err := sp.GetOption(s, sp.Raw); err == nil && raw {
		return "raw " + info.SelfName
	}
	return info.SelfName
}

// take returns a context for one Request: a free one, or a new one. Its
// timeouts and ResendTime are the socket's now.
func (r *req) take() (*reqCtx, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil, sp.ErrClosed
	}
	var c *reqCtx
	if n := len(r.free); n > 0 {
		c = r.free[n-1]
		r.free[n-1] = nil
		r.free = r.free[:n-1]
		c.tmo.Init(r.s)
	} else {
		c = r.newCtx()
	}
	c.resend = r.resend
	return c, nil
}

// give takes back a context from Request. Its request is over: replied to,
// canceled or failed.
func (r *req) give(c *reqCtx) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if c.closed {
		return
	}
	c.cancel()
	r.free = append(r.free, c)
}
