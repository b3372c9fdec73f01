package sptest

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/wire"
)

// hopFrame returns a pair1 or star frame payload: the hop count, then body.
func hopFrame(n uint32, body string) []byte {
	return append(wire.AppendUint32(nil, n), body...)
}

// HopHeaders runs the hostile hop-count cases against a listening socket of
// a protocol with a hop count header (pair1, star), whose peers speak
// peerID, over every stream transport: a count over 0xff, or a message too
// short to hold one, closes the pipe (and nothing more of that peer's is
// delivered); a count over sp.MaxTTL only drops the message.
func HopHeaders(t *testing.T, newSocket func() (sp.Socket, error), peerID uint16) {
	cases := []struct {
		name       string
		frames     [][]byte
		want       []string // bodies received, in order
		wantClosed bool
	}{
		{"hop 0 and 1 accepted", [][]byte{hopFrame(0, "zero"), hopFrame(1, "one")}, []string{"zero", "one"}, false},
		{"hop over MaxTTL dropped", [][]byte{hopFrame(9, "drop"), hopFrame(8, "keep")}, []string{"keep"}, false},
		{"hop 0xff dropped", [][]byte{hopFrame(0xff, "drop"), hopFrame(2, "keep")}, []string{"keep"}, false},
		{"hop 0x100 closes", [][]byte{hopFrame(1, "ok"), hopFrame(0x100, "bad"), hopFrame(1, "after")}, []string{"ok"}, true},
		{"hop 0x01000000 closes", [][]byte{hopFrame(1, "ok"), hopFrame(0x01000000, "bad")}, []string{"ok"}, true},
		{"3 bytes close", [][]byte{hopFrame(1, "ok"), {0, 0, 0}}, []string{"ok"}, true},
		{"empty message closes", [][]byte{hopFrame(1, "ok"), {}}, []string{"ok"}, true},
		{"header only is an empty body", [][]byte{hopFrame(1, ""), hopFrame(1, "next")}, []string{"", "next"}, false},
	}
	Streams(t, func(t *testing.T, tr Transport) {
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				s := New(t, newSocket)
				pipes := CountPipes(s, nil)
				addr := Listen(t, s, tr.Addr(t))
				peer := DialRaw(t, addr, peerID)
				pipes.WaitLive(t, 1)
				peer.Send(t, tc.frames...)
				ctx := Ctx(t)
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
					peer = DialRaw(t, addr, peerID)
					peer.Send(t, hopFrame(1, "new peer"))
					got, err := s.Recv(ctx)
					require.NoError(t, err)
					require.Equal(t, "new peer", string(got), "got %q, want %q", got, "new peer")
					return
				}
				// Still connected: an answer arrives, hop count 1.
				require.NoError(t, s.Send(ctx, []byte("still here")))
				require.Equal(t, hopFrame(1, "still here"), peer.Recv(t))
			})
		}
	})
}
