package sub

import (
	"context"
	"fmt"
	"time"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/core"
)

// subCtx is a core.Exchange: core.NewContext makes it an sp.Context.

// SendExchange implements core.Exchange; sub contexts cannot send.
func (c *subCtx) SendExchange(_ context.Context, m *sp.Message, _ time.Duration) error {
	m.Free()
	return fmt.Errorf("%w: Send on a sub context", sp.ErrNotSupported)
}

// RecvExchange implements core.Exchange.
func (c *subCtx) RecvExchange(ctx context.Context, timeout time.Duration) (*sp.Message, error) {
	return c.recv(ctx, timeout)
}

// Timeouts implements core.Exchange.
func (c *subCtx) Timeouts() *core.CtxTimeouts { return &c.tmo }

// CloseExchange implements core.Exchange. The socket's own state is not
// closed with a context.
func (c *subCtx) CloseExchange() {
	c.p.mu.Lock()
	defer c.p.mu.Unlock()
	if c == c.p.def {
		return
	}
	delete(c.p.ctxs, c)
	c.close()
}

// SetExchangeOption implements core.ExchangeOptions: a context has its own
// topics (Subscribe, Unsubscribe).
func (c *subCtx) SetExchangeOption(name string, v any) (bool, error) {
	if name != SubscribeOption.Name() && name != UnsubscribeOption.Name() {
		return false, nil
	}
	t, ok := v.([]byte)
	if !ok {
		return true, fmt.Errorf("%w: %s takes a []byte, not %T", sp.ErrBadOption, name, v)
	}
	if name == SubscribeOption.Name() {
		c.subscribe(t)
		return true, nil
	}
	if err := c.unsubscribe(t); err != nil {
		return true, fmt.Errorf("%w: %s: %v", sp.ErrBadOption, name, err)
	}
	return true, nil
}

// ExchangeOption implements core.ExchangeOptions: topics cannot be read.
func (c *subCtx) ExchangeOption(string) (any, bool) { return nil, false }
