package sub_test

import (
	"context"
	"testing"
	"time"

	"github.com/spgo/sp"
	"github.com/spgo/sp/protocol/pub"
	"github.com/spgo/sp/protocol/sub"
	"github.com/stretchr/testify/require"
)

// TestContextsHaveTheirOwnTopics checks that each context receives the
// messages matching its own topics, and the socket those matching its.
func TestContextsHaveTheirOwnTopics(t *testing.T) {
	url := "inproc://" + t.Name()
	p, err := pub.NewSocket()
	require.NoError(t, err)
	defer p.Close()
	joined := make(chan struct{}, 1)
	p.SetPipeHook(func(ev sp.PipeEvent, _ sp.Pipe) bool {
		if ev == sp.PipeAdded {
			joined <- struct{}{}
		}
		return true
	})
	_, err = p.Listen(url)
	require.NoError(t, err)
	s, err := sub.NewSocket()
	require.NoError(t, err)
	defer s.Close()
	require.NoError(t, sp.SetOption(s, sub.SubscribeOption, []byte("sock.")))

	topics := []string{"a.", "b.", ""}
	ctxs := make([]sp.Context, len(topics))
	for i, topic := range topics {
		c, err := s.OpenContext()
		require.NoError(t, err)
		defer c.Close()
		require.NoError(t, sp.SetOption(c, sub.SubscribeOption, []byte(topic)))
		require.NoError(t, sp.SetOption(c, sp.RecvTimeout, 200*time.Millisecond))
		ctxs[i] = c
	}
	require.NoError(t, s.Dial(url, sp.WithDialSync()))
	<-joined // a publisher sends only to the subscribers it knows

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	sent := []string{"a.1", "b.1", "sock.1", "c.1"}
	for _, m := range sent {
		require.NoError(t, p.Send(ctx, []byte(m)))
	}
	want := [][]string{{"a.1"}, {"b.1"}, sent}
	for i, c := range ctxs {
		var got []string
		for {
			b, err := c.Recv(ctx)
			if err != nil {
				require.ErrorIs(t, err, sp.ErrTimeout)
				break
			}
			got = append(got, string(b))
		}
		require.Equal(t, want[i], got, "context %d subscribed to %q", i, topics[i])
	}
	b, err := s.Recv(ctx)
	require.NoError(t, err)
	require.Equal(t, "sock.1", string(b))

	// A message received by one context is its own to change.
	require.NoError(t, p.Send(ctx, []byte("a.2")))
	m0, err := ctxs[0].RecvMsg(ctx)
	require.NoError(t, err)
	m0.Body[0] = 'X'
	m2, err := ctxs[2].RecvMsg(ctx)
	require.NoError(t, err)
	require.Equal(t, "a.2", string(m2.Body), "context 2 saw context 0's change")
}
