package pair1_test

import (
	"testing"

	"github.com/spgo/sp/internal/sptest"
	"github.com/spgo/sp/protocol/pair1"
	"github.com/stretchr/testify/require"
)

// Hand-made frames: a hop count over 0xff, or a message too short to hold
// one, closes the pipe; a count over sp.MaxTTL only drops the message.
func TestPair1BadHeaders(t *testing.T) {
	cases := []struct {
		name       string
		frames     [][]byte
		want       []string // bodies received, in order
		wantClosed bool
	}{
		{"hop 0 and 1 accepted", [][]byte{hop(0, "zero"), hop(1, "one")}, []string{"zero", "one"}, false},
		{"hop over MaxTTL dropped", [][]byte{hop(9, "drop"), hop(8, "keep")}, []string{"keep"}, false},
		{"hop 0xff dropped", [][]byte{hop(0xff, "drop"), hop(2, "keep")}, []string{"keep"}, false},
		{"hop 0x100 closes", [][]byte{hop(1, "ok"), hop(0x100, "bad"), hop(1, "after")}, []string{"ok"}, true},
		{"hop 0x01000000 closes", [][]byte{hop(1, "ok"), hop(0x01000000, "bad")}, []string{"ok"}, true},
		{"3 bytes close", [][]byte{hop(1, "ok"), {0, 0, 0}}, []string{"ok"}, true},
		{"empty message closes", [][]byte{hop(1, "ok"), {}}, []string{"ok"}, true},
		{"header only is an empty body", [][]byte{hop(1, ""), hop(1, "next")}, []string{"", "next"}, false},
	}
	sptest.Streams(t, func(t *testing.T, tr sptest.Transport) {
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				s := sptest.New(t, pair1.NewSocket)
				pipes := sptest.CountPipes(s, nil)
				addr := sptest.Listen(t, s, tr.Addr(t))
				peer := sptest.DialRaw(t, addr, pair1.PeerID)
				pipes.WaitLive(t, 1)
				peer.Send(t, tc.frames...)
				ctx := sptest.Ctx(t)
				for _, want := range tc.want {
					got, err := s.Recv(ctx)
					require.NoError(t, err, "Recv, want %q", want)
					require.Equal(t, want, string(got), "got %q, want %q", got, want)
				}
				if tc.wantClosed {
					peer.WaitClosed(t)
					pipes.WaitLive(t, 0)
					// Nothing of the bad peer's was delivered: a new
					// peer's message is next.
					peer = sptest.DialRaw(t, addr, pair1.PeerID)
					peer.Send(t, hop(1, "new peer"))
					got, err := s.Recv(ctx)
					require.NoError(t, err)
					require.Equal(t, "new peer", string(got), "got %q, want %q", got, "new peer")
					return
				}
				// Still connected: an answer arrives, hop count 1.
				require.NoError(t, s.Send(ctx, []byte("still here")))
				require.Equal(t, hop(1, "still here"), peer.Recv(t))
			})
		}
	})
}
