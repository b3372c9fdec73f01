package interop_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/spgo/sp/protocol/pair"
)

// TestPair: pair v0 both ways over one connection: sp sends p, the C tool
// sends answer(p), each must receive the other's bytes exactly.
func TestPair(t *testing.T) {
	forEach(t, tools, []string{"sp-pair"}, func(t *testing.T, tl tool, tr transport, _ string, spListens bool, p payload) {
		s := newSocket(t, pair.NewSocket)
		theirs := answer(p)
		args := []string{tl.proto("pair"), "--raw", "--file", writeFile(t, theirs)}
		if tl.nng {
			// nngcat pair with --file needs --interval, else it fails
			// ("Cannot set recv timeout"); with --count 1 it sends once,
			// receives for one interval and exits. No need to wait for
			// that: it has printed what it got as soon as it got it.
			args = append(args, "--interval", "1", "--count", "1")
		}
		// nanocat pair sends once and prints what it receives until killed.
		c := connect(t, s, tl, tr, spListens, args...)
		// Send waits for the peer.
		require.NoError(t, s.Send(ctx(t), p.b))
		got, err := s.Recv(ctx(t))
		require.NoError(t, err)
		requireBytes(t, theirs, got, "sp pair received")
		waitExact(t, c, tl, p.b, false)
	})
}
