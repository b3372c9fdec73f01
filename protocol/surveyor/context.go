package surveyor

import (
	"context"
	"fmt"
	"time"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/core"
)

// survCtx is a core.Exchange: core.NewContext makes it an sp.Context.

// SendExchange implements core.Exchange: a survey's send never waits, so
// it has no timeout.
func (c *survCtx) SendExchange(ctx context.Context, m *sp.Message, _ time.Duration) error {
	return c.send(ctx, m)
}

// RecvExchange implements core.Exchange.
func (c *survCtx) RecvExchange(ctx context.Context, timeout time.Duration) (*sp.Message, error) {
	return c.recv(ctx, timeout)
}

// Timeouts implements core.Exchange.
func (c *survCtx) Timeouts() *core.CtxTimeouts { return &c.tmo }

// CloseExchange implements core.Exchange.
func (c *survCtx) CloseExchange() {
	c.r.mu.Lock()
	defer c.r.mu.Unlock()
	c.close()
}

// SetExchangeOption implements core.ExchangeOptions: a context has its own
// SurveyTime.
func (c *survCtx) SetExchangeOption(name string, v any) (bool, error) {
	if name != SurveyTime.Name() {
		return false, nil
	}
	d, ok := v.(time.Duration)
	if !ok || checkSurveyTime(d) != nil {
		return true, fmt.Errorf("%w: %s takes a positive time.Duration, not %v", sp.ErrBadOption, name, v)
	}
	c.r.mu.Lock()
	c.surveyTime = d
	c.r.mu.Unlock()
	return true, nil
}

// ExchangeOption implements core.ExchangeOptions.
func (c *survCtx) ExchangeOption(name string) (any, bool) {
	if name != SurveyTime.Name() {
		return nil, false
	}
	c.r.mu.Lock()
	defer c.r.mu.Unlock()
	return c.surveyTime, true
}
