package interop_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/spgo/sp/protocol/pull"
	"github.com/spgo/sp/protocol/push"
)

// TestPushPull: sp push -> C pull, and C push -> sp pull.
func TestPushPull(t *testing.T) {
	forEach(t, tools, []string{"sp-push", "sp-pull"}, func(t *testing.T, tl tool, tr transport, role string, spListens bool, p payload) {
		if role == "sp-push" {
			s := newSocket(t, push.NewSocket)
			args := append([]string{tl.proto("pull"), "--raw"}, tl.count(1)...)
			c := connect(t, s, tl, tr, spListens, args...)
			// Send waits for a puller, so there is no race with the connection.
			require.NoError(t, s.Send(ctx(t), p.b))
			waitExact(t, c, tl, p.b, tl.nng)
			return
		}
		s := newSocket(t, pull.NewSocket)
		c := connect(t, s, tl, tr, spListens, tl.proto("push"), "--file", writeFile(t, p.b))
		got, err := s.Recv(ctx(t))
		require.NoError(t, err)
		requireBytes(t, p.b, got, "sp pull received")
		// One send, then exit (both tools).
		require.NoError(t, c.Wait(timeout))
	})
}
