package protocoltest

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/sptest"
)

// Contexts: where the protocol has them, contexts exchange with the peer
// each on its own, have their own timeouts, refuse options they do not
// know, and fail with sp.ErrClosed once closed or once their socket is;
// elsewhere, and on raw sockets, OpenContext fails with
// sp.ErrNotSupported.
func testContexts(t *testing.T, c Config) {
	c.eachFlavor(t, func(t *testing.T, f flavor) {
		if !c.Contexts || f.raw {
			s := sptest.New(t, f.newSocket)
			_, err := s.OpenContext()
			require.ErrorIs(t, err, sp.ErrNotSupported, "OpenContext: got %v, want ErrNotSupported", err)
			return
		}
		sptest.Transports(t, func(t *testing.T, tr sptest.Transport) {
			s, peer := sptest.New(t, c.NewSocket), sptest.New(t, c.NewPeer)
			connect(t, tr, s, peer)
			ctx := sptest.Ctx(t)
			cxs := []sp.Context{openContext(t, s, c.SetupContext), openContext(t, s, c.SetupContext)}
			if c.Pattern == RecvOnly { // each context gets its own copy
				send(t, ctx, peer, nil, []byte("to all"))
				for i, cx := range cxs {
					recv(t, ctx, cx, []byte("to all"), fmt.Sprint("context ", i))
				}
			}
			for i, cx := range cxs {
				if c.Pattern == RecvOnly {
					break
				}
				var y endpoint = peer
				if c.requester(true) {
					y = openContext(t, peer, nil)
				}
				c.exchange(t, cx, y, false, fmt.Appendf(nil, "out %d", i), fmt.Appendf(nil, "back %d", i))
			}

			// Options of its own.
			cx := cxs[0]
			const d = 30 * time.Millisecond
			require.NoError(t, sp.SetOption(cx, sp.RecvTimeout, d))
			got, err := sp.GetOption(cx, sp.RecvTimeout)
			require.NoError(t, err)
			require.Equal(t, d, got, "the context's RecvTimeout: got %v, want %v", got, d)
			got, err = sp.GetOption(s, sp.RecvTimeout)
			require.NoError(t, err)
			require.Zero(t, got, "the socket's RecvTimeout after the context's changed: got %v, want 0", got)
			if c.Pattern == Requests {
				send(t, ctx, cx, nil, []byte("never answered"))
			}
			_, err = cx.Recv(ctx)
			requireTimeout(t, err, "a context's Recv after its RecvTimeout")
			err = cx.SetOptionValue(sp.RecvTimeout.Name(), "1s")
			require.ErrorIs(t, err, sp.ErrBadOption, "RecvTimeout of the wrong type: got %v, want ErrBadOption", err)
			err = cx.SetOptionValue(sp.RecvTimeout.Name(), -time.Second)
			require.ErrorIs(t, err, sp.ErrBadOption, "a negative RecvTimeout: got %v, want ErrBadOption", err)
			err = cx.SetOptionValue("protocoltest:no-such-option", 1)
			require.ErrorIs(t, err, sp.ErrBadOption, "an unknown option: got %v, want ErrBadOption", err)
			_, err = cx.OptionValue("protocoltest:no-such-option")
			require.ErrorIs(t, err, sp.ErrBadOption, "reading an unknown option: got %v, want ErrBadOption", err)

			// Closed, the context fails; then the socket's closing fails
			// the others.
			require.NoError(t, cxs[1].Close())
			_, err = cxs[1].Recv(ctx)
			require.ErrorIs(t, err, sp.ErrClosed, "Recv on a closed context: got %v, want ErrClosed", err)
			require.NoError(t, s.Close())
			_, err = cx.Recv(ctx)
			require.ErrorIs(t, err, sp.ErrClosed, "a context's Recv after its socket closed: got %v, want ErrClosed", err)
			if c.Pattern.sends() {
				err = cx.Send(ctx, []byte("x"))
				require.ErrorIs(t, err, sp.ErrClosed, "a context's Send after its socket closed: got %v, want ErrClosed", err)
			}
			_, err = s.OpenContext()
			require.ErrorIs(t, err, sp.ErrClosed, "OpenContext after Close: got %v, want ErrClosed", err)
		})
	})
}

// Options: the socket refuses unknown options and values of the wrong type
// or out of range with sp.ErrBadOption, and keeps the values it takes.
func testOptions(t *testing.T, c Config) {
	bad := []BadOption{
		{sp.RecvTimeout.Name(), "1s"},
		{sp.RecvTimeout.Name(), -time.Second},
		{sp.SendTimeout.Name(), 1},
		{sp.SendTimeout.Name(), -time.Second},
		{sp.RecvQueueLen.Name(), 0},
		{sp.SendQueueLen.Name(), uint(4)},
		{sp.RecvMaxSize.Name(), -1},
		{sp.MaxTTL.Name(), 0},
		{sp.MaxTTL.Name(), 256},
		{"protocoltest:no-such-option", 1},
	}
	bad = append(bad, c.BadOptions...)
	c.eachFlavor(t, func(t *testing.T, f flavor) {
		s := sptest.New(t, f.newSocket)
		for _, b := range bad {
			err := s.SetOptionValue(b.Name, b.Value)
			require.ErrorIs(t, err, sp.ErrBadOption, "%s = %#v: got %v, want ErrBadOption", b.Name, b.Value, err)
		}
		_, err := s.OptionValue("protocoltest:no-such-option")
		require.ErrorIs(t, err, sp.ErrBadOption, "reading an unknown option: got %v, want ErrBadOption", err)
		for _, o := range []struct {
			name string
			v    any
		}{
			{sp.RecvTimeout.Name(), time.Second},
			{sp.SendQueueLen.Name(), 7},
			{sp.MaxTTL.Name(), 3},
			{sp.SocketName.Name(), "protocoltest"},
		} {
			require.NoError(t, s.SetOptionValue(o.name, o.v), "%s = %v", o.name, o.v)
			got, err := s.OptionValue(o.name)
			require.NoError(t, err)
			require.Equal(t, o.v, got, "%s: got %v, want %v", o.name, got, o.v)
		}
	})
}
