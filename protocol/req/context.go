package req

import (
	"context"
	"fmt"
	"time"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/core"
)

// Send implements sp.Context.
func (c *reqCtx) Send(ctx context.Context, b []byte) error {
	return c.SendMsg(ctx, core.CopyBody(b))
}

// Recv implements sp.Context.
func (c *reqCtx) Recv(ctx context.Context) ([]byte, error) {
	m, err := c.RecvMsg(ctx)
	if err != nil {
		return nil, err
	}
	return m.Body, nil
}

// SendMsg implements sp.Context.
func (c *reqCtx) SendMsg(ctx context.Context, m *sp.Message) error {
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
func (c *reqCtx) RecvMsg(ctx context.Context) (*sp.Message, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	m, err := c.recv(ctx, c.tmo.Recv())
	return m, c.r.s.ExplainTimeout("recv", err)
}

// SetOptionValue implements sp.Context: a context has its own timeouts and
// ResendTime.
func (c *reqCtx) SetOptionValue(name string, v any) error {
	if name == ResendTime.Name() {
		d, ok := v.(time.Duration)
		if !ok || d < 0 {
			return fmt.Errorf("%w: %s takes a time.Duration >= 0, not %v", sp.ErrBadOption, name, v)
		}
		c.r.mu.Lock()
		c.resend = d
		c.r.mu.Unlock()
		return nil
	}
	return c.tmo.SetOptionValue(name, v)
}

// OptionValue implements sp.Context.
func (c *reqCtx) OptionValue(name string) (any, error) {
	if name == ResendTime.Name() {
		c.r.mu.Lock()
		defer c.r.mu.Unlock()
		return c.resend, nil
	}
	return c.tmo.OptionValue(name)
}

// Close implements sp.Context.
func (c *reqCtx) Close() error {
	c.r.mu.Lock()
	defer c.r.mu.Unlock()
	c.close()
	return nil
}
