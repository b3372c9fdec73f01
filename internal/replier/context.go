package replier

import (
	"context"
	"time"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/core"
)

// replyCtx is a core.Exchange: core.NewContext makes it an sp.Context.

// SendExchange implements core.Exchange.
func (c *replyCtx) SendExchange(ctx context.Context, m *sp.Message, timeout time.Duration) error {
	return c.send(ctx, m, timeout)
}

// RecvExchange implements core.Exchange.
func (c *replyCtx) RecvExchange(ctx context.Context, timeout time.Duration) (*sp.Message, error) {
	return c.recv(ctx, timeout)
}

// Timeouts implements core.Exchange.
func (c *replyCtx) Timeouts() *core.CtxTimeouts { return &c.tmo }

// CloseExchange implements core.Exchange.
func (c *replyCtx) CloseExchange() {
	c.r.mu.Lock()
	delete(c.r.ctxs, c)
	c.r.mu.Unlock()
	c.close()
}
