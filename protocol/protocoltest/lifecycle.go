package protocoltest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/sptest"
	"github.com/spgo/sp/protocol/bus"
	"github.com/spgo/sp/protocol/pair"
)

// Info: the protocol's names and ids, cooked and raw, and its peer's.
func testInfo(t *testing.T, c Config) {
	c.eachFlavor(t, func(t *testing.T, f flavor) {
		s := sptest.New(t, f.newSocket)
		require.Equal(t, c.Info, s.Info(), "Info: got %+v, want %+v", s.Info(), c.Info)
		raw, err := sp.GetOption(s, sp.Raw)
		require.NoError(t, err)
		require.Equal(t, f.raw, raw, "sp.Raw: got %v, want %v", raw, f.raw)
		err = sp.SetOption(s, sp.Raw, !f.raw)
		require.ErrorIs(t, err, sp.ErrBadOption, "setting sp.Raw: got %v, want ErrBadOption", err)
	})
	peer := sptest.New(t, c.NewPeer)
	want := sp.ProtocolInfo{Self: c.Info.Peer, Peer: c.Info.Self, SelfName: c.Info.PeerName, PeerName: c.Info.SelfName}
	require.Equal(t, want, peer.Info(), "the peer's Info: got %+v, want %+v", peer.Info(), want)
}

// WrongPeer: a socket of another protocol is refused, whichever end dials.
func testWrongPeer(t *testing.T, c Config) {
	stranger := c.NewStranger
	if stranger == nil {
		stranger = pair.NewSocket
		if c.Info.Peer == pair.ProtocolID {
			stranger = bus.NewSocket
		}
	}
	sptest.Transports(t, func(t *testing.T, tr sptest.Transport) {
		s, o := sptest.New(t, c.NewSocket), sptest.New(t, stranger)
		err := o.Dial(sptest.Listen(t, s, tr.Addr(t)), sp.WithDialSync())
		require.ErrorIs(t, err, sp.ErrBadProtocol, "%s dialing %s: got %v, want ErrBadProtocol", o.Info().SelfName, c.Info.SelfName, err)
		s, o = sptest.New(t, c.NewSocket), sptest.New(t, stranger)
		err = s.Dial(sptest.Listen(t, o, tr.Addr(t)), sp.WithDialSync())
		require.ErrorIs(t, err, sp.ErrBadProtocol, "%s dialing %s: got %v, want ErrBadProtocol", c.Info.SelfName, o.Info().SelfName, err)
	})
}

// WrongDirection: a socket that only sends refuses Recv, and one that only
// receives refuses Send, with sp.ErrNotSupported; a requester receives
// nothing before its request, and a replier sends nothing before one, with
// sp.ErrBadState.
func testWrongDirection(t *testing.T, c Config) {
	c.eachFlavor(t, func(t *testing.T, f flavor) {
		s := sptest.New(t, f.newSocket)
		ctx := sptest.Ctx(t)
		if !c.Pattern.sends() {
			err := s.Send(ctx, []byte("x"))
			require.ErrorIs(t, err, sp.ErrNotSupported, "Send: got %v, want ErrNotSupported", err)
		}
		if !c.Pattern.recvs() {
			_, err := s.Recv(ctx)
			require.ErrorIs(t, err, sp.ErrNotSupported, "Recv: got %v, want ErrNotSupported", err)
		}
		if f.raw {
			return
		}
		switch c.Pattern {
		case Requests:
			_, err := s.Recv(ctx)
			require.ErrorIs(t, err, sp.ErrBadState, "Recv before any Send: got %v, want ErrBadState", err)
		case Replies:
			err := s.Send(ctx, []byte("answer to nothing"))
			require.ErrorIs(t, err, sp.ErrBadState, "Send before any Recv: got %v, want ErrBadState", err)
		}
	})
}

// Peers: a one-peer protocol refuses a second peer while the first lasts
// (see sptest.RefusesSecondPeer); the others keep many.
func testPeers(t *testing.T, c Config) {
	if c.OnePeer {
		sptest.RefusesSecondPeer(t, c.NewSocket)
		return
	}
	const n = 4
	sptest.Transports(t, func(t *testing.T, tr sptest.Transport) {
		hub := sptest.New(t, c.NewSocket)
		pipes := sptest.CountPipes(hub, nil)
		addr := sptest.Listen(t, hub, tr.Addr(t))
		for range n {
			sptest.Dial(t, sptest.New(t, c.NewPeer), addr)
		}
		pipes.WaitLive(t, n)
	})
}

// Timeouts: Send with no peer gives up after sp.SendTimeout or at its
// context's deadline, where it waits for one; Recv with a peer that sends
// nothing gives up after sp.RecvTimeout. Either error is sp.ErrTimeout, and
// says it is a timeout.
func testTimeouts(t *testing.T, c Config) {
	const d = 50 * time.Millisecond
	sptest.Transports(t, func(t *testing.T, tr sptest.Transport) {
		if c.SendWaitsForPeer {
			for _, f := range c.flavors() {
				s := sptest.New(t, f.newSocket)
				sptest.Listen(t, s, tr.Addr(t))
				require.NoError(t, sp.SetOption(s, sp.SendTimeout, d))
				start := time.Now()
				err := s.Send(sptest.Ctx(t), []byte("nobody"))
				requireTimeout(t, err, "%s Send with no peer", f.name)
				require.GreaterOrEqual(t, time.Since(start), d, "%s Send returned before SendTimeout", f.name)

				require.NoError(t, sp.SetOption(s, sp.SendTimeout, 0))
				err = s.Send(short(t, d), []byte("nobody"))
				requireTimeout(t, err, "%s Send with a context deadline", f.name)
			}
		}
		if !c.Pattern.recvs() {
			return
		}
		s, peer := sptest.New(t, c.NewSocket), sptest.New(t, c.NewPeer)
		connect(t, tr, s, peer)
		ctx := sptest.Ctx(t)
		if c.Pattern == Requests {
			require.NoError(t, s.Send(ctx, []byte("never answered")))
		}
		require.NoError(t, sp.SetOption(s, sp.RecvTimeout, d))
		start := time.Now()
		_, err := s.Recv(ctx)
		requireTimeout(t, err, "Recv with nothing sent")
		require.GreaterOrEqual(t, time.Since(start), d, "Recv returned before RecvTimeout")
	})
}

// requireTimeout checks that err is sp.ErrTimeout and says it is a timeout.
func requireTimeout(t *testing.T, err error, what string, args ...any) {
	t.Helper()
	what = fmt.Sprintf(what, args...)
	require.ErrorIs(t, err, sp.ErrTimeout, "%s: got %v, want ErrTimeout", what, err)
	require.ErrorIs(t, err, context.DeadlineExceeded, "%s: got %v, want it to match context.DeadlineExceeded", what, err)
	var ne interface{ Timeout() bool }
	require.True(t, errors.As(err, &ne) && ne.Timeout(), "%s: got Timeout() false for %v, want true", what, err)
}

// NeverBlocks: a protocol that sends first without waiting for a peer
// never blocks in Send: alone, or with a peer that does not receive, it
// drops what finds no room.
func testNeverBlocks(t *testing.T, c Config) {
	if c.SendWaitsForPeer || !c.Pattern.sends() || c.Pattern == Replies {
		t.Skip("Send waits for a peer, or only answers")
	}
	c.eachFlavor(t, func(t *testing.T, f flavor) {
		var header []byte
		if f.raw {
			header = c.RawHeader
		}
		ctx := sptest.Ctx(t)
		send(t, ctx, sptest.New(t, f.newSocket), header, []byte("to nobody"))
		sptest.Transports(t, func(t *testing.T, tr sptest.Transport) {
			s, peer := sptest.New(t, f.newSocket), sptest.New(t, c.NewPeer)
			require.NoError(t, sp.SetOption(s, sp.SendQueueLen, 1))
			require.NoError(t, sp.SetOption(peer, sp.RecvQueueLen, 1))
			connect(t, tr, s, peer)
			var x endpoint = s
			if c.Pattern == Requests && !f.raw {
				x = openContext(t, s, nil) // a new survey replaces the last
			}
			for i := range 2000 {
				send(t, ctx, x, header, sptest.Payload(1024, byte(i)))
			}
		})
	})
}

// CloseUnblocks: Close wakes, with sp.ErrClosed, a Recv blocked on the
// socket and on its contexts (closing a context wakes its own), and a Send
// waiting for a peer or for room; then every call fails the same way, and
// a second Close succeeds.
func testCloseUnblocks(t *testing.T, c Config) {
	c.eachFlavor(t, func(t *testing.T, f flavor) {
		var header []byte
		if f.raw {
			header = c.RawHeader
		}
		if c.SendWaitsForPeer {
			t.Run("send-no-peer", func(t *testing.T) {
				s := sptest.CloseUnblocks(t, f.newSocket, func(s sp.Socket) error {
					m := sp.NewMessage(1)
					m.Header = append(m.Header, header...)
					return s.SendMsg(context.Background(), m)
				})
				err := s.Send(context.Background(), []byte("x"))
				require.ErrorIs(t, err, sp.ErrClosed, "Send after Close: got %v, want ErrClosed", err)
			})
		}
		if c.SendWaitsForRoom && !f.raw {
			t.Run("send-full", func(t *testing.T) { testCloseUnblocksFull(t, c) })
		}
		sptest.Transports(t, func(t *testing.T, tr sptest.Transport) {
			s, peer := sptest.New(t, f.newSocket), sptest.New(t, c.NewPeer)
			connect(t, tr, s, peer)
			ctx := sptest.Ctx(t)
			errs := make(chan error, 3)
			recvOn := func(x endpoint) {
				if c.Pattern == Requests { // an answer to wait for
					send(t, ctx, x, header, []byte("never answered"))
				}
				go func() { _, err := x.RecvMsg(ctx); errs <- err }()
			}
			if c.Pattern.recvs() {
				recvOn(s)
			}
			var cxs []sp.Context
			if c.Contexts && !f.raw {
				for range 2 {
					cx := openContext(t, s, c.SetupContext)
					recvOn(cx)
					cxs = append(cxs, cx)
				}
				require.NoError(t, cxs[1].Close())
				returnsClosed(t, errs, "Recv on a closed context")
			}
			require.NoError(t, s.Close())
			for range len(cxs) - 1 {
				returnsClosed(t, errs, "Recv on a context")
			}
			if c.Pattern.recvs() {
				returnsClosed(t, errs, "Recv")
				_, err := s.Recv(ctx)
				require.ErrorIs(t, err, sp.ErrClosed, "Recv after Close: got %v, want ErrClosed", err)
			}
			if c.Pattern.sends() {
				err := s.Send(ctx, []byte("late"))
				require.ErrorIs(t, err, sp.ErrClosed, "Send after Close: got %v, want ErrClosed", err)
			}
			if len(cxs) > 0 {
				_, err := cxs[0].Recv(ctx)
				require.ErrorIs(t, err, sp.ErrClosed, "a context's Recv after Close: got %v, want ErrClosed", err)
				if c.Pattern.sends() {
					err = cxs[0].Send(ctx, []byte("late"))
					require.ErrorIs(t, err, sp.ErrClosed, "a context's Send after Close: got %v, want ErrClosed", err)
				}
				_, err = s.OpenContext()
				require.ErrorIs(t, err, sp.ErrClosed, "OpenContext after Close: got %v, want ErrClosed", err)
			}
			require.ErrorIs(t, s.Dial(tr.Addr(t)), sp.ErrClosed, "Dial after Close")
			_, err := s.Listen(tr.Addr(t))
			require.ErrorIs(t, err, sp.ErrClosed, "Listen after Close: got %v, want ErrClosed", err)
			require.NoError(t, s.Close(), "a second Close")
		})
	})
}

// testCloseUnblocksFull fills every queue between a socket and a peer that
// does not receive until Send blocks, and checks that Close wakes it.
func testCloseUnblocksFull(t *testing.T, c Config) {
	sptest.Transports(t, func(t *testing.T, tr sptest.Transport) {
		s, peer := sptest.New(t, c.NewSocket), sptest.New(t, c.NewPeer)
		require.NoError(t, sp.SetOption(s, sp.SendQueueLen, 1))
		require.NoError(t, sp.SetOption(peer, sp.RecvQueueLen, 1))
		connect(t, tr, s, peer)
		ctx := sptest.Ctx(t)
		// Three timeouts in a row: after one, the peer's reader may still
		// be moving what the kernel holds into its queue, making room for
		// the send meant to block.
		require.NoError(t, sp.SetOption(s, sp.SendTimeout, 20*time.Millisecond))
		for i, timeouts := 0, 0; timeouts < 3; i++ {
			err := s.Send(ctx, sptest.Payload(64<<10, byte(i)))
			if errors.Is(err, sp.ErrTimeout) {
				timeouts++
				continue
			}
			require.NoError(t, err)
			timeouts = 0
			require.Less(t, i, 100000, "Send never blocked")
		}
		require.NoError(t, sp.SetOption(s, sp.SendTimeout, 0))
		errs := make(chan error, 1)
		go func() { errs <- s.Send(ctx, []byte("blocked")) }()
		require.NoError(t, s.Close())
		returnsClosed(t, errs, "Send")
	})
}

// Shutdown: with no peer it returns nil at once; then, as after Close,
// Send fails with sp.ErrClosed, on the socket and its contexts, and another
// Shutdown or Close returns nil.
func testShutdown(t *testing.T, c Config) {
	for _, first := range []string{"Close", "Shutdown"} {
		t.Run(first, func(t *testing.T) {
			c.eachFlavor(t, func(t *testing.T, f flavor) {
				s := sptest.New(t, f.newSocket)
				sptest.Listen(t, s, sptest.TCPAddr(t))
				var cx sp.Context
				if c.Contexts && !f.raw {
					cx = openContext(t, s, c.SetupContext)
				}
				ctx := sptest.Ctx(t)
				if first == "Close" {
					require.NoError(t, s.Close())
				} else {
					require.NoError(t, s.Shutdown(ctx))
				}
				require.NoError(t, s.Shutdown(ctx), "Shutdown after %s", first)
				require.NoError(t, s.Close(), "Close after %s", first)
				if !c.Pattern.sends() {
					return
				}
				err := s.Send(ctx, []byte("x"))
				require.ErrorIs(t, err, sp.ErrClosed, "Send after %s: got %v, want ErrClosed", first, err)
				if cx != nil {
					err := cx.Send(ctx, []byte("x"))
					require.ErrorIs(t, err, sp.ErrClosed, "a context's Send after %s: got %v, want ErrClosed", first, err)
				}
			})
		})
	}
}

// ShutdownRefusesSends: once Shutdown has begun, Send on the socket, on its
// contexts and through the protocol's Helpers fails with sp.ErrClosed;
// Shutdown then waits for the peer (a hand-made one that does not close its
// end until told) and returns nil once it closes, everything it accepted
// having been written.
func testShutdownRefusesSends(t *testing.T, c Config) {
	if !c.Pattern.sends() {
		t.Skip("the socket sends nothing")
	}
	s := sptest.New(t, c.NewSocket)
	addr := sptest.Listen(t, s, sptest.TCPAddr(t))
	peer := sptest.DialRaw(t, addr, c.Info.Peer)
	ctx := sptest.Ctx(t)
	waitPeers(t, s, 1)
	cx, cxErr := s.OpenContext() // sp.ErrNotSupported for some

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
	for i, h := range c.Helpers {
		err := h(ctx, s)
		require.ErrorIs(t, err, sp.ErrClosed, "Helpers[%d] during Shutdown: got %v, want ErrClosed", i, err)
	}
	select {
	case err := <-done:
		t.Fatalf("Shutdown returned %v while the peer had not closed", err)
	default:
	}
	// Shutdown ends the connection for writing once all it accepted is
	// written: the peer reads it all, then the end. A socket that never
	// waits drops a send racing the seal (see core.CheckSend).
	got := peer.RecvUntilEOF(t)
	if c.SendWaitsForPeer {
		require.Len(t, got, accepted, "frames read: got %d, want the %d sends accepted", len(got), accepted)
	} else {
		require.LessOrEqual(t, len(got), accepted, "frames read: got %d, want at most the %d sends accepted", len(got), accepted)
	}
	select {
	case err := <-done:
		t.Fatalf("Shutdown returned %v before the peer closed", err)
	default:
	}
	require.NoError(t, peer.C.Close())
	require.NoError(t, <-done)
}

// ShutdownDelivers: everything Send accepted reaches the peer, in order,
// when the socket shuts down right after the last Send, over every
// transport; the socket counts it all sent.
func testShutdownDelivers(t *testing.T, c Config) {
	if !c.Pattern.sends() {
		t.Skip("the socket sends nothing")
	}
	const n = 300
	sptest.Wires(t, func(t *testing.T, w sptest.Wire) {
		s, peer := sptest.New(t, c.NewSocket), sptest.New(t, c.NewPeer)
		require.NoError(t, sp.SetOption(s, sp.SendQueueLen, n))
		require.NoError(t, sp.SetOption(peer, sp.RecvQueueLen, n))
		w.Connect(t, s, peer)
		ctx := sptest.Ctx(t)
		body := func(i int) []byte { return fmt.Appendf(nil, "%d:%s", i, sptest.Payload(i*37%2048, byte(i))) }
		var x endpoint = s
		var ys []endpoint // where the peer receives each message
		var y endpoint = peer
		if c.Pattern == Requests {
			y = openContext(t, peer, nil) // a new request replaces the last
		}
		wantBytes := uint64(0)
		for i := range n {
			if c.Pattern == Replies {
				py := openContext(t, peer, nil)
				send(t, ctx, py, nil, []byte("q"))
				recv(t, ctx, s, []byte("q"), "socket")
				ys = append(ys, py)
			} else {
				ys = append(ys, y)
			}
			if c.Pattern == Requests {
				x = openContext(t, s, nil) // each request on its own context
			}
			send(t, ctx, x, nil, body(i))
			wantBytes += uint64(len(body(i)) + c.Header)
		}
		got := make(chan error, 1)
		go func() { // the peer receives all along
			for i, y := range ys {
				m, err := y.RecvMsg(ctx)
				if err != nil {
					got <- fmt.Errorf("message #%d: %w", i, err)
					return
				}
				if string(m.Body) != string(body(i)) {
					got <- fmt.Errorf("message #%d: got %.12q (%d bytes), want %.12q (%d bytes)", i, m.Body, len(m.Body), body(i), len(body(i)))
					return
				}
			}
			got <- nil
		}()
		require.NoError(t, s.Shutdown(ctx))
		require.NoError(t, <-got)
		st := s.Stats()
		require.Equal(t, uint64(n), st.MsgsSent, "MsgsSent: got %d, want %d", st.MsgsSent, n)
		require.Equal(t, wantBytes, st.BytesSent, "BytesSent: got %d, want %d", st.BytesSent, wantBytes)
		require.Equal(t, 0, st.Pipes, "pipes after Shutdown: got %d, want 0", st.Pipes)
		err := s.Send(ctx, []byte("late"))
		require.ErrorIs(t, err, sp.ErrClosed, "Send after Shutdown: got %v, want ErrClosed", err)
		require.NoError(t, s.Shutdown(ctx), "a second Shutdown")
		require.NoError(t, s.Close(), "Close after Shutdown")
	})
}
