package sp_test

import (
	"errors"
	"testing"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/sptest"
	"github.com/spgo/sp/protocol/bus"
	"github.com/spgo/sp/protocol/pair"
	"github.com/spgo/sp/protocol/pair1"
	"github.com/spgo/sp/protocol/pub"
	"github.com/spgo/sp/protocol/push"
	"github.com/spgo/sp/protocol/rep"
	"github.com/spgo/sp/protocol/req"
	"github.com/spgo/sp/protocol/respondent"
	"github.com/spgo/sp/protocol/star"
	"github.com/spgo/sp/protocol/surveyor"
	"github.com/stretchr/testify/require"
)

// Once Shutdown has begun, Send on the socket and on its contexts fails
// with an error wrapping ErrClosed, for every protocol that sends; Shutdown
// then waits for the peer (a hand-made one that never closes its end until
// told) and returns nil once it closes, everything having been written.
func TestShutdownRefusesSends(t *testing.T) {
	cases := []struct {
		name      string
		newSocket func() (sp.Socket, error)
		peer      uint16
	}{
		{"req", req.NewSocket, 0x31},
		{"rep", rep.NewSocket, 0x30},
		{"surveyor", surveyor.NewSocket, 0x63},
		{"respondent", respondent.NewSocket, 0x62},
		{"push", push.NewSocket, 0x51},
		{"pub", pub.NewSocket, 0x21},
		{"pair", pair.NewSocket, 0x10},
		{"pair1", pair1.NewSocket, 0x11},
		{"bus", bus.NewSocket, 0x70},
		{"star", star.NewSocket, 0x640},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := sptest.New(t, c.newSocket)
			addr := sptest.Listen(t, s, sptest.TCPAddr(t))
			peer := sptest.DialRaw(t, addr, c.peer)
			ctx := sptest.Ctx(t)
			require.NoError(t, s.WaitPeers(ctx, 1))
			cx, cxErr := s.OpenContext() // ErrNotSupported for some

			done := make(chan error, 1)
			go func() { done <- s.Shutdown(ctx) }()
			accepted := 0
			sptest.Eventually(t, "Send to be refused", func() bool {
				err := s.Send(ctx, []byte("x"))
				if err == nil {
					accepted++
				}
				return errors.Is(err, sp.ErrClosed)
			})
			if cxErr == nil {
				err := cx.Send(ctx, []byte("x"))
				require.ErrorIs(t, err, sp.ErrClosed, "a context's Send during Shutdown: got %v, want ErrClosed", err)
			}
			switch c.name { // the helpers that send on contexts of their own
			case "req":
				_, err := req.Request(ctx, s, []byte("x"))
				require.ErrorIs(t, err, sp.ErrClosed, "req.Request during Shutdown: got %v, want ErrClosed", err)
			case "surveyor":
				_, err := surveyor.SurveyAll(ctx, s, []byte("x"))
				require.ErrorIs(t, err, sp.ErrClosed, "surveyor.SurveyAll during Shutdown: got %v, want ErrClosed", err)
			}
			select {
			case err := <-done:
				t.Fatalf("Shutdown returned %v while the peer had not closed", err)
			default:
			}
			// Shutdown ends the connection for writing once all it
			// accepted is written: the peer reads it all, then the end.
			got := peer.RecvUntilEOF(t)
			switch c.name {
			case "pub", "bus", "star", "surveyor": // they never wait: a send racing the seal is dropped (see core.CheckSend)
				require.LessOrEqual(t, len(got), accepted, "frames read: got %d, want at most the %d sends accepted", len(got), accepted)
			default:
				require.Len(t, got, accepted, "frames read: got %d, want the %d sends accepted", len(got), accepted)
			}
			select {
			case err := <-done:
				t.Fatalf("Shutdown returned %v before the peer closed", err)
			default:
			}
			require.NoError(t, peer.C.Close())
			require.NoError(t, <-done)
		})
	}
}

// Shutdown of a socket with no peer returns nil at once; after Close, and
// after another Shutdown, it returns nil too, as Close does after either.
func TestShutdownIdempotent(t *testing.T) {
	ctx := sptest.Ctx(t)
	for _, first := range []string{"Close", "Shutdown"} {
		t.Run(first, func(t *testing.T) {
			s := sptest.New(t, push.NewSocket)
			sptest.Listen(t, s, sptest.TCPAddr(t))
			if first == "Close" {
				require.NoError(t, s.Close())
			} else {
				require.NoError(t, s.Shutdown(ctx))
			}
			require.NoError(t, s.Shutdown(ctx), "Shutdown after %s", first)
			require.NoError(t, s.Close(), "Close after %s", first)
			err := s.Send(ctx, []byte("x"))
			require.ErrorIs(t, err, sp.ErrClosed, "Send after %s: got %v, want ErrClosed", first, err)
		})
	}
}
