package core

import (
	"context"
	"time"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/msgtrack"
)

// Exchange is a protocol's side of one context: the state of one exchange
// at a time (a request, a survey, a reply owed, a subscription's queue).
// NewContext adapts it to sp.Context; a protocol's OpenContext returns that.
// Its methods are safe for concurrent use.
type Exchange interface {
	// SendExchange takes m and sends it as the context's next message,
	// giving up after timeout (0: none) or when ctx ends. The adapter has
	// checked that Shutdown has not begun.
	SendExchange(ctx context.Context, m *sp.Message, timeout time.Duration) error
	// RecvExchange returns the context's next message, giving up after
	// timeout (0: none) or when ctx ends.
	RecvExchange(ctx context.Context, timeout time.Duration) (*sp.Message, error)
	// CloseExchange closes the context: blocked calls on it return
	// sp.ErrClosed.
	CloseExchange()
	// Timeouts returns the context's own send and receive timeouts.
	Timeouts() *CtxTimeouts
}

// ExchangeOptions is an Exchange with options of its own besides the
// timeouts (req's ResendTime, surveyor's SurveyTime, sub's topics). Each
// method reports whether it knows the name; the adapter asks the timeouts
// about names it does not.
type ExchangeOptions interface {
	SetExchangeOption(name string, v any) (known bool, err error)
	ExchangeOption(name string) (v any, known bool)
}

// exchangeCtx is the sp.Context of an Exchange: what every protocol's
// contexts do alike (nil contexts, the Shutdown gate, body copies, timeout
// explanations, options) is here, once.
type exchangeCtx struct {
	s  *Socket
	ex Exchange
}

// NewContext returns the sp.Context that runs ex on socket s.
func NewContext(s *Socket, ex Exchange) sp.Context { return &exchangeCtx{s: s, ex: ex} }

// Send implements sp.Context.
func (c *exchangeCtx) Send(ctx context.Context, b []byte) error {
	return c.SendMsg(ctx, CopyBody(b))
}

// Recv implements sp.Context.
func (c *exchangeCtx) Recv(ctx context.Context) ([]byte, error) {
	m, err := c.RecvMsg(ctx)
	if err != nil {
		return nil, err
	}
	return m.Body, nil
}

// SendMsg implements sp.Context.
func (c *exchangeCtx) SendMsg(ctx context.Context, m *sp.Message) error {
	msgtrack.ToLibrary(m)
	if ctx == nil {
		ctx = context.Background()
	}
	if err := c.s.CheckSend(); err != nil {
		m.Free()
		return err
	}
	if err := c.s.CheckSize(m); err != nil {
		return err
	}
	return c.s.ExplainTimeout("send", c.ex.SendExchange(ctx, m, c.ex.Timeouts().Send()))
}

// RecvMsg implements sp.Context.
func (c *exchangeCtx) RecvMsg(ctx context.Context) (*sp.Message, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	m, err := c.ex.RecvExchange(ctx, c.ex.Timeouts().Recv())
	if err == nil {
		msgtrack.ToUser(m)
	}
	return m, c.s.ExplainTimeout("recv", err)
}

// SetOptionValue implements sp.Context: the exchange's own options, then
// the send and receive timeouts.
func (c *exchangeCtx) SetOptionValue(name string, v any) error {
	if o, ok := c.ex.(ExchangeOptions); ok {
		if known, err := o.SetExchangeOption(name, v); known {
			return err
		}
	}
	return c.ex.Timeouts().SetOptionValue(name, v)
}

// OptionValue implements sp.Context.
func (c *exchangeCtx) OptionValue(name string) (any, error) {
	if o, ok := c.ex.(ExchangeOptions); ok {
		if v, known := o.ExchangeOption(name); known {
			return v, nil
		}
	}
	return c.ex.Timeouts().OptionValue(name)
}

// Close implements sp.Context.
func (c *exchangeCtx) Close() error {
	c.ex.CloseExchange()
	return nil
}
