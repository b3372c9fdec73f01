package surveyor

import (
	"context"
	"fmt"
	"time"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/core"
)

// Send implements sp.Context.
func (c *survCtx) Send(ctx context.Context, b []byte) error {
	return c.SendMsg(ctx, core.CopyBody(b))
}

// Recv implements sp.Context.
func (c *survCtx) Recv(ctx context.Context) ([]byte, error) {
	m, err := c.RecvMsg(ctx)
	if err != nil {
		return nil, err
	}
	return m.Body, nil
}

// SendMsg implements sp.Context.
func (c *survCtx) SendMsg(ctx context.Context, m *sp.Message) error {
	if ctx == nil {
		ctx = context.Background()
	}
	if err := c.r.s.CheckSend(); err != nil {
		m.Free()
		return err
	}
	return c.send(ctx, m)
}

// RecvMsg implements sp.Context.
func (c *survCtx) RecvMsg(ctx context.Context) (*sp.Message, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	m, err := c.recv(ctx, c.tmo.Recv())
	return m, c.r.s.ExplainTimeout("recv", err)
}

// SetOptionValue implements sp.Context: a context has its own timeouts and
// SurveyTime.
func (c *survCtx) SetOptionValue(name string, v any) error {
	if name == SurveyTime.Name() {
		d, ok := v.(time.Duration)
		if !ok || checkSurveyTime(d) != nil {
			return fmt.Errorf("%w: %s takes a positive time.Duration, not %v", sp.ErrBadOption, name, v)
		}
		c.r.mu.Lock()
		c.surveyTime = d
		c.r.mu.Unlock()
		return nil
	}
	return c.tmo.SetOptionValue(name, v)
}

// OptionValue implements sp.Context.
func (c *survCtx) OptionValue(name string) (any, error) {
	if name == SurveyTime.Name() {
		c.r.mu.Lock()
		defer c.r.mu.Unlock()
		return c.surveyTime, nil
	}
	return c.tmo.OptionValue(name)
}

// Close implements sp.Context.
func (c *survCtx) Close() error {
	c.r.mu.Lock()
	defer c.r.mu.Unlock()
	c.close()
	return nil
}
