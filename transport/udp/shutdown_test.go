package udp_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/spgo/sp/protocol/pair"
)

// TestShutdownDelivers checks that a listening socket's Shutdown writes
// out what Send accepted: Shutdown stops the listener before it drains the
// pipes, and the pipes ride the listener's socket, which must stay open
// for them.
func TestShutdownDelivers(t *testing.T) {
	for _, listenerSends := range []bool{true, false} {
		name := "dialer sends"
		if listenerSends {
			name = "listener sends"
		}
		t.Run(name, func(t *testing.T) {
			l, d := newSock(t, pair.NewSocket), newSock(t, pair.NewSocket)
			ln, err := l.Listen("udp://127.0.0.1:0")
			require.NoError(t, err)
			require.NoError(t, d.Dial(ln.URL(), fastDial()...))
			from, to := d, l
			if listenerSends {
				from, to = l, d
			}
			for _, msg := range []string{"one", "two", "last"} {
				require.NoError(t, from.Send(wctx(t), []byte(msg)))
			}
			require.NoError(t, from.Shutdown(wctx(t)), "Shutdown right after three sends")
			for _, want := range []string{"one", "two", "last"} {
				got, err := to.Recv(wctx(t))
				require.NoError(t, err)
				require.Equal(t, want, string(got), "received %q, want %q", got, want)
			}
		})
	}
}
