package core

import (
	"context"

	"github.com/spgo/sp"
)

// WaitPeers implements sp.Socket: it wakes whenever a pipe joins (see
// addPipe), and never polls.
func (s *Socket) WaitPeers(ctx context.Context, n int) error {
	if ctx == nil {
		ctx = context.Background()
	}
	for {
		joined := s.joined.Chan()
		s.mu.Lock()
		have, closed := len(s.pipes), s.closed
		s.mu.Unlock()
		switch {
		case closed:
			return sp.ErrClosed
		case have >= n:
			return nil
		}
		select {
		case <-joined:
		case <-s.closing:
			return sp.ErrClosed
		case <-ctx.Done():
			return sp.ContextError(ctx)
		}
	}
}
