package protocoltest

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/sptest"
)

// endpoint is what messages go through: a socket or one of its contexts.
type endpoint interface {
	SendMsg(ctx context.Context, m *sp.Message) error
	RecvMsg(ctx context.Context) (*sp.Message, error)
}

// send sends header and body on x.
func send(t *testing.T, ctx context.Context, x endpoint, header, body []byte) {
	t.Helper()
	m := sp.NewMessage(len(body))
	m.Header = append(m.Header, header...)
	m.Body = append(m.Body, body...)
	require.NoError(t, x.SendMsg(ctx, m), "SendMsg(%d bytes)", len(body))
}

// recv receives a message on x and checks its body is want.
func recv(t *testing.T, ctx context.Context, x endpoint, want []byte, who string) *sp.Message {
	t.Helper()
	m, err := x.RecvMsg(ctx)
	require.NoError(t, err, "%s: RecvMsg, want %d bytes %.20q", who, len(want), want)
	if !bytes.Equal(m.Body, want) {
		t.Fatalf("%s: got %d bytes %.20q, want %d bytes %.20q", who, len(m.Body), m.Body, len(want), want)
	}
	require.NotNil(t, m.Pipe(), "%s: a received message knows its pipe", who)
	return m
}

// exchange does one exchange of the pattern between x, the protocol's end
// (raw or not), and y, its peer's: out goes from whichever sends first, and
// back, where the pattern has an answer, the other way.
func (c Config) exchange(t *testing.T, x, y endpoint, raw bool, out, back []byte) {
	t.Helper()
	ctx := sptest.Ctx(t)
	var header []byte
	if raw {
		header = c.RawHeader
	}
	switch c.Pattern {
	case Both, Requests:
		send(t, ctx, x, header, out)
		recv(t, ctx, y, out, "peer")
		send(t, ctx, y, nil, back)
		recv(t, ctx, x, back, "socket")
	case SendOnly:
		send(t, ctx, x, header, out)
		recv(t, ctx, y, out, "peer")
	case RecvOnly:
		send(t, ctx, y, nil, out)
		recv(t, ctx, x, out, "socket")
	case Replies:
		send(t, ctx, y, nil, out)
		m := recv(t, ctx, x, out, "socket")
		if raw { // the answer goes back along the request's backtrace
			m.Body = append(m.Body[:0], back...)
			require.NoError(t, x.SendMsg(ctx, m))
		} else {
			m.Free()
			send(t, ctx, x, nil, back)
		}
		recv(t, ctx, y, back, "peer")
	}
}

// requester reports whether a socket of the protocol (peer false) or of its
// peer (peer true) sends requests.
func (c Config) requester(peer bool) bool {
	return c.Pattern == Requests && !peer || c.Pattern == Replies && peer
}

// ends returns the ends of one exchange between s and peer: the sockets
// themselves, but a new context on the side that sends requests, if it is
// cooked, as such a socket runs one exchange at a time (a surveyor's lasts
// until its survey ends).
func (c Config) ends(t *testing.T, s, peer sp.Socket, raw bool) (x, y endpoint) {
	t.Helper()
	x, y = s, peer
	switch {
	case c.requester(false) && !raw:
		x = openContext(t, s, c.SetupContext)
	case c.requester(true):
		y = openContext(t, peer, nil)
	}
	return x, y
}

// openContext opens a context on s, set up by setup (if not nil), and
// closes it when the test ends.
func openContext(t *testing.T, s sp.Socket, setup func(sp.Context) error) sp.Context {
	t.Helper()
	cx, err := s.OpenContext()
	require.NoError(t, err, "OpenContext")
	t.Cleanup(func() { cx.Close() })
	if setup != nil {
		require.NoError(t, setup(cx), "setting up a context")
	}
	return cx
}

// Exchange: a few exchanges between a socket and its peer, the socket
// dialing or listening, over every transport.
func testExchange(t *testing.T, c Config) {
	c.eachFlavor(t, func(t *testing.T, f flavor) {
		sptest.Transports(t, func(t *testing.T, tr sptest.Transport) {
			for _, dials := range []bool{true, false} {
				s, peer := sptest.New(t, f.newSocket), sptest.New(t, c.NewPeer)
				if dials {
					connect(t, tr, s, peer)
				} else {
					connect(t, tr, peer, s)
				}
				// The sockets themselves first, then as ends has it.
				x, y := endpoint(s), endpoint(peer)
				for i := range 3 {
					c.exchange(t, x, y, f.raw, fmt.Appendf(nil, "out %d", i), fmt.Appendf(nil, "back %d", i))
					x, y = c.ends(t, s, peer, f.raw)
				}
			}
		})
	})
}

// Order: streams of independent messages arrive in order, both ways at once
// where the pattern has two.
func testOrder(t *testing.T, c Config) {
	if !c.Pattern.independent() {
		t.Skip("requests and answers: one at a time")
	}
	n := 100 // under the queues of a sender that never blocks
	if c.SendWaitsForRoom {
		n = 500
	}
	sptest.Transports(t, func(t *testing.T, tr sptest.Transport) {
		s, peer := sptest.New(t, c.NewSocket), sptest.New(t, c.NewPeer)
		connect(t, tr, s, peer)
		ctx := sptest.Ctx(t)
		type dir struct {
			from, to sp.Socket
			name     string
		}
		var dirs []dir
		if c.Pattern.sends() {
			dirs = append(dirs, dir{s, peer, "socket"})
		}
		if c.Pattern.recvs() {
			dirs = append(dirs, dir{peer, s, "peer"})
		}
		errs := make(chan error, len(dirs))
		for _, d := range dirs {
			go func() {
				for i := range n {
					if err := d.from.Send(ctx, fmt.Appendf(nil, "%s %d", d.name, i)); err != nil {
						errs <- fmt.Errorf("%s Send #%d: %w", d.name, i, err)
						return
					}
				}
				errs <- nil
			}()
		}
		for _, d := range dirs {
			for i := range n {
				got, err := d.to.Recv(ctx)
				require.NoError(t, err, "Recv #%d from the %s", i, d.name)
				want := fmt.Sprintf("%s %d", d.name, i)
				require.Equal(t, want, string(got), "got %q, want %q", got, want)
			}
		}
		for range dirs {
			require.NoError(t, <-errs)
		}
	})
}

// Large: 16 MiB messages both ways, under a receive limit raised for them.
func testLarge(t *testing.T, c Config) {
	sptest.Transports(t, func(t *testing.T, tr sptest.Transport) {
		s, peer := sptest.New(t, c.NewSocket), sptest.New(t, c.NewPeer)
		for _, x := range []sp.Socket{s, peer} {
			require.NoError(t, sp.SetOption(x, sp.RecvMaxSize, 17<<20))
		}
		connect(t, tr, s, peer)
		x, y := c.ends(t, s, peer, false)
		c.exchange(t, x, y, false, sptest.Payload(16<<20, 9), sptest.Payload(16<<20, 10))
	})
}

// TooLarge: a message over the receiver's sp.RecvMaxSize (the default,
// 1 MiB) closes the pipe that carried it, and only that one: the receiver
// goes on with its other peer, and the sender's dialer comes back. A
// message of exactly the limit passes.
func testTooLarge(t *testing.T, c Config) {
	// The receiver is of the protocol if it receives first, else its peer.
	rxPeer := c.Pattern == SendOnly || c.Pattern == Requests
	newRx, newTx := c.NewSocket, c.NewPeer
	if rxPeer {
		newRx, newTx = c.NewPeer, c.NewSocket
	}
	n := 2
	if c.OnePeer {
		n = 1
	}
	sptest.Transports(t, func(t *testing.T, tr sptest.Transport) {
		rx := sptest.New(t, newRx)
		pipes := sptest.CountPipes(rx, nil)
		addr := sptest.Listen(t, rx, tr.Addr(t))
		txs := make([]sp.Socket, n)
		for i := range txs {
			txs[i] = sptest.New(t, newTx)
			sptest.Dial(t, txs[i], addr)
			waitPeers(t, txs[i], 1)
		}
		pipes.WaitLive(t, n)
		// do runs an exchange between rx and tx with toRx going to rx.
		do := func(tx sp.Socket, toRx []byte) {
			if rxPeer {
				x, y := c.ends(t, tx, rx, false)
				c.exchange(t, x, y, false, toRx, []byte("back"))
			} else {
				x, y := c.ends(t, rx, tx, false)
				if c.Pattern == Both { // rx sends first
					c.exchange(t, x, y, false, []byte("out"), toRx)
				} else {
					c.exchange(t, x, y, false, toRx, []byte("back"))
				}
			}
		}
		big := txs[0]
		do(big, sptest.Payload(1<<20-c.Header, 1)) // exactly the limit

		// One way, on a context of its own for a requester, which gives
		// up on its request (or a req socket would send it again).
		ctx := sptest.Ctx(t)
		var bx endpoint = big
		var cx sp.Context
		if c.requester(!rxPeer) {
			cx = openContext(t, big, nil)
			bx = cx
		}
		send(t, ctx, bx, nil, sptest.Payload(1<<20+1-c.Header, 2))
		// A receiver that reads its only pipe in Recv needs a Recv to
		// read it at all; and the message must not come.
		_, err := rx.Recv(short(t, 100*time.Millisecond))
		require.ErrorIs(t, err, sp.ErrTimeout, "Recv after the oversized message: got %v, want ErrTimeout", err)
		pipes.Wait(t, "the oversized pipe to close and its dialer to come back", func(_, added int) bool {
			return added >= n+1
		})
		if cx != nil {
			_, err = cx.Recv(short(t, 50*time.Millisecond))
			require.ErrorIs(t, err, sp.ErrTimeout, "Recv of the answer to a refused request: got %v, want ErrTimeout", err)
			require.NoError(t, cx.Close())
		}
		pipes.WaitLive(t, n)
		if n > 1 {
			do(txs[1], []byte("still here"))
		}
		waitPeers(t, big, 1)
		do(big, []byte("small now"))
	})
}

// Reconnect: when the listening peer goes away and another one listens on
// the same address, the socket's dialer connects to it.
func testReconnect(t *testing.T, c Config) {
	sptest.Transports(t, func(t *testing.T, tr sptest.Transport) {
		s, old := sptest.New(t, c.NewSocket), sptest.New(t, c.NewPeer)
		pipes := sptest.CountPipes(s, nil)
		addr := sptest.Listen(t, old, tr.Addr(t))
		sptest.Dial(t, s, addr)
		waitPeers(t, old, 1)
		x, y := c.ends(t, s, old, false)
		c.exchange(t, x, y, false, []byte("one"), []byte("one back"))

		require.NoError(t, old.Close())
		pipes.WaitLive(t, 0)
		fresh := sptest.New(t, c.NewPeer)
		sptest.Listen(t, fresh, addr)
		waitPeers(t, s, 1)
		waitPeers(t, fresh, 1)
		x, y = c.ends(t, s, fresh, false)
		c.exchange(t, x, y, false, []byte("two"), []byte("two back"))
		// The hook hears PipeAdded after the pipe is in use: wait for it.
		pipes.WaitAdded(t, 2)
		require.Equal(t, 2, pipes.Added(), "pipes ever added: got %d, want 2", pipes.Added())
	})
}

// Stats: after an exchange, the socket counts what it sent and received,
// and names its protocol.
func testStats(t *testing.T, c Config) {
	c.eachFlavor(t, func(t *testing.T, f flavor) {
		sptest.Transports(t, func(t *testing.T, tr sptest.Transport) {
			s, peer := sptest.New(t, f.newSocket), sptest.New(t, c.NewPeer)
			connect(t, tr, s, peer)
			out, back := make([]byte, 100), make([]byte, 30)
			c.exchange(t, s, peer, f.raw, out, back)
			var sent, recvd []byte // the bodies the socket sent and received
			switch c.Pattern {
			case Both, Requests:
				sent, recvd = out, back
			case SendOnly:
				sent = out
			case RecvOnly:
				recvd = out
			case Replies:
				sent, recvd = back, out
			}
			count := func(b []byte) (msgs, bytes uint64) {
				if b == nil {
					return 0, 0
				}
				return 1, uint64(len(b) + c.Header)
			}
			wantSent, wantSentBytes := count(sent)
			wantRecv, wantRecvBytes := count(recvd)
			// The writer counts a message, then its bytes: wait for both,
			// then say what differs.
			st := s.Stats()
			for deadline := time.Now().Add(Timeout); time.Now().Before(deadline); st = s.Stats() {
				if st.MsgsSent == wantSent && st.BytesSent == wantSentBytes &&
					st.MsgsRecv == wantRecv && st.BytesRecv == wantRecvBytes {
					break
				}
				time.Sleep(time.Millisecond)
			}
			require.Equal(t, wantSent, st.MsgsSent, "MsgsSent: got %d, want %d", st.MsgsSent, wantSent)
			require.Equal(t, wantSentBytes, st.BytesSent, "BytesSent: got %d, want %d", st.BytesSent, wantSentBytes)
			require.Equal(t, wantRecv, st.MsgsRecv, "MsgsRecv: got %d, want %d", st.MsgsRecv, wantRecv)
			require.Equal(t, wantRecvBytes, st.BytesRecv, "BytesRecv: got %d, want %d", st.BytesRecv, wantRecvBytes)
			require.Equal(t, c.Info.SelfName, st.Protocol, "Protocol: got %q, want %q", st.Protocol, c.Info.SelfName)
			require.Equal(t, f.raw, st.Raw, "Raw: got %v, want %v", st.Raw, f.raw)
			require.Equal(t, 1, st.Pipes, "Pipes: got %d, want 1", st.Pipes)
			require.Equal(t, uint64(1), st.Connects, "Connects: got %d, want 1", st.Connects)
		})
	})
}
