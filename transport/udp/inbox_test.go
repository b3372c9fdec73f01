package udp

import (
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/spgo/sp"
)

func msg(s string) *sp.Message {
	m := sp.NewMessage(len(s))
	m.Body = append(m.Body, s...)
	return m
}

// TestInboxDropsOldest fills an inbox past recvQueueLen: the oldest
// messages go, the rest come out in order.
func TestInboxDropsOldest(t *testing.T) {
	b := newInbox()
	drops := 0
	for i := range recvQueueLen + 3 {
		if b.put(msg(fmt.Sprint(i))) {
			drops++
		}
	}
	require.Equal(t, 3, drops, "drops: got %d, want 3", drops)
	for i := 3; i < recvQueueLen+3; i++ {
		m, err := b.get()
		require.NoError(t, err)
		require.Equal(t, fmt.Sprint(i), string(m.Body), "message: got %q, want %q", m.Body, fmt.Sprint(i))
		m.Free()
	}
}

// TestInboxEndAndClose checks that end delivers what is queued before
// its error, and close drops it.
func TestInboxEndAndClose(t *testing.T) {
	tests := []struct {
		name  string
		stop  func(*inbox)
		want  []string
		final error
	}{
		{"end", func(b *inbox) { b.end(io.EOF) }, []string{"a", "b"}, io.EOF},
		{"close", func(b *inbox) { b.close(sp.ErrClosed) }, nil, sp.ErrClosed},
		{"end then close", func(b *inbox) { b.end(io.EOF); b.close(sp.ErrClosed) }, nil, io.EOF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newInbox()
			b.put(msg("a"))
			b.put(msg("b"))
			tt.stop(b)
			require.False(t, b.put(msg("late")), "put after the end dropped an older message")
			for _, w := range tt.want {
				m, err := b.get()
				require.NoError(t, err)
				require.Equal(t, w, string(m.Body), "got %q, want %q", m.Body, w)
			}
			_, err := b.get()
			require.True(t, errors.Is(err, tt.final), "after the messages: got error %v, want %v", err, tt.final)
		})
	}
}
