package sub_test

import (
	"testing"
	"time"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/sptest"
	"github.com/spgo/sp/protocol/pub"
	"github.com/spgo/sp/protocol/sub"
	"github.com/stretchr/testify/require"
)

// Subscribe and Unsubscribe take a string or a []byte, on a socket or a
// context.
func TestSubscribeTopics(t *testing.T) {
	p, s := sptest.New(t, pub.NewSocket), sptest.New(t, sub.NewSocket)
	sptest.Connect(t, s, p, sptest.InprocAddr())
	c, err := s.OpenContext()
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, sub.Subscribe(s, "a."))
	require.NoError(t, sub.Subscribe(s, []byte("b.")))
	require.NoError(t, sub.Subscribe(c, "b."))
	require.NoError(t, sub.Unsubscribe(s, "b."))
	require.ErrorIs(t, sub.Unsubscribe(s, "never"), sp.ErrBadOption)
	require.ErrorIs(t, sub.Subscribe(p, "x"), sp.ErrBadOption, "Subscribe on a pub socket")

	ctx := sptest.Ctx(t)
	for _, m := range []string{"a.1", "b.1", "c.1", "a.2"} {
		require.NoError(t, p.Send(ctx, []byte(m)))
	}
	for _, want := range []string{"a.1", "a.2"} {
		b, err := s.Recv(ctx)
		require.NoError(t, err)
		require.Equal(t, want, string(b))
	}
	b, err := c.Recv(ctx)
	require.NoError(t, err)
	require.Equal(t, "b.1", string(b))
	require.NoError(t, sp.SetOption(s, sp.RecvTimeout, 50*time.Millisecond))
	b, err = s.Recv(ctx)
	require.ErrorIs(t, err, sp.ErrTimeout, "got %q, want nothing more for the socket", b)
}
