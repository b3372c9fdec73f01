package core_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/core"
	"github.com/spgo/sp/protocol/push"
	"github.com/stretchr/testify/require"
)

// TestExplainTimeout checks core's helper for protocols: it explains a
// timeout on a socket without peers once, and leaves other errors alone.
func TestExplainTimeout(t *testing.T) {
	s, err := push.NewSocket()
	require.NoError(t, err)
	defer s.Close()
	cs := s.(*core.Socket)
	wrapped := fmt.Errorf("req: %w", sp.ErrTimeout)
	tests := []struct {
		name string
		err  error
		want string // "" for nil
	}{
		{"nil", nil, ""},
		{"timeout", sp.ErrTimeout, "sp: send: timed out: no peer connected"},
		{"wrapped timeout", wrapped, "sp: send: req: sp: timed out: no peer connected"},
		{"explained already", cs.ExplainTimeout("send", sp.ErrTimeout), "sp: send: timed out: no peer connected"},
		{"closed", sp.ErrClosed, "sp: closed"},
		{"canceled", context.Canceled, "context canceled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := cs.ExplainTimeout("send", tt.err)
			if tt.want == "" {
				require.NoError(t, got, "got %v, want nil", got)
				return
			}
			require.Equal(t, tt.want, got.Error(), "got %q, want %q", got, tt.want)
			require.True(t, errors.Is(got, tt.err), "got %v, want it to match %v", got, tt.err)
		})
	}
}
