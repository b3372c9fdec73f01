package core

import (
	"fmt"
	"sync/atomic"
	"time"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/msgtrack"
)

// CtxTimeouts are a context's own send and receive timeouts, which start as
// the socket's. It is safe for concurrent use.
type CtxTimeouts struct {
	send, recv atomic.Int64
}

// Init copies the socket's current timeouts.
func (c *CtxTimeouts) Init(s *Socket) {
	c.send.Store(s.sendTimeout.Load())
	c.recv.Store(s.recvTimeout.Load())
}

// Send returns the send timeout.
func (c *CtxTimeouts) Send() time.Duration { return time.Duration(c.send.Load()) }

// Recv returns the receive timeout.
func (c *CtxTimeouts) Recv() time.Duration { return time.Duration(c.recv.Load()) }

// SetOptionValue sets sp.SendTimeout or sp.RecvTimeout; other names are
// reported as unknown.
func (c *CtxTimeouts) SetOptionValue(name string, v any) error {
	var dst *atomic.Int64
	switch name {
	case sp.SendTimeout.Name():
		dst = &c.send
	case sp.RecvTimeout.Name():
		dst = &c.recv
	default:
		return fmt.Errorf("%w: unknown option %q on a context", sp.ErrBadOption, name)
	}
	d, ok := v.(time.Duration)
	if !ok || d < 0 {
		return fmt.Errorf("%w: %s takes a time.Duration >= 0, not %v", sp.ErrBadOption, name, v)
	}
	dst.Store(int64(d))
	return nil
}

// OptionValue returns sp.SendTimeout or sp.RecvTimeout.
func (c *CtxTimeouts) OptionValue(name string) (any, error) {
	switch name {
	case sp.SendTimeout.Name():
		return c.Send(), nil
	case sp.RecvTimeout.Name():
		return c.Recv(), nil
	}
	return nil, fmt.Errorf("%w: unknown option %q on a context", sp.ErrBadOption, name)
}

// CopyBody returns a copy of b in a new message, for a context's Send.
func CopyBody(b []byte) *sp.Message {
	m := sp.NewMessage(len(b))
	msgtrack.ToLibrary(m)
	m.Body = append(m.Body, b...)
	return m
}
