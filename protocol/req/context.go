package req

import (
	"context"
	"fmt"
	"time"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/core"
)

// reqCtx is a core.Exchange: core.NewContext makes it an sp.Context.

// SendExchange implements core.Exchange.
func (c *reqCtx) SendExchange(ctx context.Context, m *sp.Message, timeout time.Duration) error {
	return c.send(ctx, m, timeout)
}

// RecvExchange implements core.Exchange.
func (c *reqCtx) RecvExchange(ctx context.Context, timeout time.Duration) (*sp.Message, error) {
	return c.recv(ctx, timeout)
}

// Timeouts implements core.Exchange.
func (c *reqCtx) Timeouts() *core.CtxTimeouts { return &c.tmo }

// CloseExchange implements core.Exchange.
func (c *reqCtx) CloseExchange() {
	c.r.mu.Lock()
	defer c.r.mu.Unlock()
	c.close()
}

// SetExchangeOption implements core.ExchangeOptions: a context has its own
// ResendTime.
func (c *reqCtx) SetExchangeOption(name string, v any) (bool, error) {
	if name != ResendTime.Name() {
		return false, nil
	}
	d, ok := v.(time.Duration)
	if !ok || d < 0 {
		return true, fmt.Errorf("%w: %s takes a time.Duration >= 0, not %v", sp.ErrBadOption, name, v)
	}
	c.r.mu.Lock()
	c.resend = d
	c.r.mu.Unlock()
	return true, nil
}

// ExchangeOption implements core.ExchangeOptions.
func (c *reqCtx) ExchangeOption(name string) (any, bool) {
	if name != ResendTime.Name() {
		return nil, false
	}
	c.r.mu.Lock()
	defer c.r.mu.Unlock()
	return c.resend, true
}
