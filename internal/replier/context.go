package replier

import (
	"context"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/core"
)

// Send implements sp.Context.
func (c *replyCtx) Send(ctx context.Context, b []byte) error {
	return c.SendMsg(ctx, core.CopyBody(b))
}

// Recv implements sp.Context.
func (c *replyCtx) Recv(ctx context.Context) ([]byte, error) {
	m, err := c.RecvMsg(ctx)
	if err != nil {
		return nil, err
	}
	return m.Body, nil
}

// SendMsg implements sp.Context.
func (c *replyCtx) SendMsg(ctx context.Context, m *sp.Message) error {
	if ctx == nil {
		ctx = context.Background()
	}
	if err := c.r.s.CheckSend(); err != nil {
		m.Free()
		return err
	}
	return c.r.s.ExplainTimeout("send", c.send(ctx, m, c.tmo.Send()))
}

// RecvMsg implements sp.Context.
func (c *replyCtx) RecvMsg(ctx context.Context) (*sp.Message, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	m, err := c.recv(ctx, c.tmo.Recv())
	return m, c.r.s.ExplainTimeout("recv", err)
}

// SetOptionValue implements sp.Context: a context has its own timeouts.
func (c *replyCtx) SetOptionValue(name string, v any) error { return c.tmo.SetOptionValue(name, v) }

// OptionValue implements sp.Context.
func (c *replyCtx) OptionValue(name string) (any, error) { return c.tmo.OptionValue(name) }

// Close implements sp.Context.
func (c *replyCtx) Close() error {
	c.r.mu.Lock()
	delete(c.r.ctxs, c)
	c.r.mu.Unlock()
	c.close()
	return nil
}
