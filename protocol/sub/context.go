package sub

import (
	"context"
	"fmt"

	"github.com/spgo/sp"
)

// Send implements sp.Context; sub contexts cannot send.
func (c *subCtx) Send(context.Context, []byte) error {
	return fmt.Errorf("%w: Send on a sub context", sp.ErrNotSupported)
}

// SendMsg implements sp.Context; sub contexts cannot send.
func (c *subCtx) SendMsg(_ context.Context, m *sp.Message) error {
	m.Free()
	return fmt.Errorf("%w: Send on a sub context", sp.ErrNotSupported)
}

// Recv implements sp.Context.
func (c *subCtx) Recv(ctx context.Context) ([]byte, error) {
	m, err := c.RecvMsg(ctx)
	if err != nil {
		return nil, err
	}
	return m.Body, nil
}

// RecvMsg implements sp.Context.
func (c *subCtx) RecvMsg(ctx context.Context) (*sp.Message, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	m, err := c.recv(ctx, c.tmo.Recv())
	return m, c.p.s.ExplainTimeout("recv", err)
}

// SetOptionValue implements sp.Context: a context has its own topics
// (Subscribe, Unsubscribe) and timeouts.
func (c *subCtx) SetOptionValue(name string, v any) error {
	switch name {
	case SubscribeOption.Name(), UnsubscribeOption.Name():
		t, ok := v.([]byte)
		if !ok {
			return fmt.Errorf("%w: %s takes a []byte, not %T", sp.ErrBadOption, name, v)
		}
		if name == SubscribeOption.Name() {
			c.subscribe(t)
			return nil
		}
		if err := c.unsubscribe(t); err != nil {
			return fmt.Errorf("%w: %s: %v", sp.ErrBadOption, name, err)
		}
		return nil
	}
	return c.tmo.SetOptionValue(name, v)
}

// OptionValue implements sp.Context.
func (c *subCtx) OptionValue(name string) (any, error) { return c.tmo.OptionValue(name) }

// Close implements sp.Context.
func (c *subCtx) Close() error {
	c.p.mu.Lock()
	defer c.p.mu.Unlock()
	if c == c.p.def {
		return nil
	}
	delete(c.p.ctxs, c)
	c.close()
	return nil
}
