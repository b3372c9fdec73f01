package core_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/core"
	"github.com/spgo/sp/internal/leaktest"
	"github.com/spgo/sp/internal/sptest"
	"github.com/spgo/sp/internal/wire"
	"github.com/spgo/sp/protocol/pair1"
	"github.com/spgo/sp/protocol/pull"
	"github.com/spgo/sp/protocol/push"
	"github.com/stretchr/testify/require"
)

// How a read role that receivers hold ends, or is interrupted: the peer
// leaving, a timeout or a cancelled context, a malformed frame (see
// recvdirect_test.go for the helpers).

// listenPull makes a pull socket listening on a fresh address of tr.
func listenPull(t *testing.T, tr sptest.Transport) (sink sp.Socket, pipes *sptest.Pipes, addr string) {
	sink = sptest.New(t, pull.NewSocket)
	pipes = sptest.CountPipes(sink, nil)
	return sink, pipes, sptest.Listen(t, sink, tr.Addr(t))
}

// rawSend returns a send function for takeRole over a raw peer.
func rawSend(t *testing.T, r *sptest.RawPeer) func([]byte) error {
	return func(b []byte) error {
		r.Send(t, b)
		return nil
	}
}

// d. A peer that leaves while the read role lies idle with receivers (no
// Recv running) is noticed by the role watcher (over inproc, by the
// connection's end call): what it sent before is
// read and queued, its pipe goes, and a new peer is served.
func TestRecvDirectPeerClosesIdle(t *testing.T) {
	tests := []struct {
		name string
		// peer connects to addr and returns how to send and how to leave.
		peer func(t *testing.T, addr string) (send func([]byte) error, leave func() error)
		left []string // sent just before leaving
	}{
		{"raw peer", func(t *testing.T, addr string) (func([]byte) error, func() error) {
			r := sptest.DialRaw(t, addr, pull.PeerID)
			return rawSend(t, r), r.C.Close
		}, []string{"left-1", "left-2", "left-3"}},
		{"push socket", func(t *testing.T, addr string) (func([]byte) error, func() error) {
			src := sptest.New(t, push.NewSocket)
			sptest.Dial(t, src, addr)
			ctx := sptest.Ctx(t)
			return func(b []byte) error { return src.Send(ctx, b) }, src.Close
		}, nil}, // a closing socket may drop what it has queued
	}
	sptest.Transports(t, func(t *testing.T, tr sptest.Transport) {
		for _, tt := range tests {
			if tr.Name == "inproc" && tt.name == "raw peer" {
				continue // no bytes to speak raw
			}
			t.Run(tt.name, func(t *testing.T) {
				sink, pipes, addr := listenPull(t, tr)
				send, leave := tt.peer(t, addr)
				pipes.WaitLive(t, 1)
				ctx := sptest.Ctx(t)
				takeRole(t, ctx, sink, send, "first")
				for _, m := range tt.left {
					require.NoError(t, send([]byte(m)))
				}
				require.NoError(t, leave())
				pipes.WaitLive(t, 0) // nobody is in Recv
				require.False(t, core.RoleHeld(sink), "read role with the receivers after its pipe left")
				for _, m := range tt.left {
					recvWant(t, ctx, sink, m)
				}

				src := sptest.New(t, push.NewSocket)
				sptest.Dial(t, src, addr)
				pipes.WaitLive(t, 1)
				takeRole(t, ctx, sink, func(b []byte) error { return src.Send(ctx, b) }, "fresh")
			})
		}
	})
}

// e. A peer that leaves while a receiver reads its pipe itself: the pipe
// goes, the receiver goes on waiting and gets what a new peer sends, and
// closing the socket ends a Recv reading the new pipe with ErrClosed.
func TestRecvDirectPeerClosesBlocked(t *testing.T) {
	sptest.Transports(t, func(t *testing.T, tr sptest.Transport) {
		sink, pipes, addr := listenPull(t, tr)
		src := sptest.New(t, push.NewSocket)
		sptest.Dial(t, src, addr)
		pipes.WaitLive(t, 1)
		ctx := sptest.Ctx(t)
		takeRole(t, ctx, sink, func(b []byte) error { return src.Send(ctx, b) }, "first")

		rx := goRecv(t, ctx, sink, 2)
		waitBusy(t, sink)
		require.NoError(t, src.Close())
		pipes.WaitLive(t, 0)
		select {
		case r := <-rx:
			t.Fatalf("Recv returned %q, %v after its peer left; want it to keep waiting", r.b, r.err)
		case <-time.After(50 * time.Millisecond):
		}

		src2 := sptest.New(t, push.NewSocket)
		sptest.Dial(t, src2, addr)
		pipes.WaitLive(t, 1)
		require.NoError(t, src2.Send(ctx, []byte("second")))
		r := next(t, rx, "second")
		require.NoError(t, r.err)
		require.Equal(t, "second", string(r.b), "got %q, want %q", r.b, "second")

		waitBusy(t, sink) // the second Recv reads the new pipe
		require.NoError(t, sink.Close())
		r = next(t, rx, "Recv when the socket closes")
		require.ErrorIs(t, r.err, sp.ErrClosed, "got %v, want ErrClosed", r.err)
	})
}

// f. A receive timeout, a context's deadline and a cancellation interrupt a
// receiver reading its pipe itself, in the middle of a frame; the role
// stays with the receivers and the frame's rest completes it, intact.
func TestRecvDirectInterrupted(t *testing.T) {
	const wait = 300 * time.Millisecond
	tests := []struct {
		name string
		// recv calls Recv on s, which must end with an error matching want.
		recv func(t *testing.T, s sp.Socket) <-chan recvResult
		want error
		min  time.Duration // the least Recv may take
	}{
		{"RecvTimeout", func(t *testing.T, s sp.Socket) <-chan recvResult {
			require.NoError(t, sp.SetOption(s, sp.RecvTimeout, wait))
			return goRecv(t, sptest.Ctx(t), s, 1)
		}, sp.ErrTimeout, wait},
		{"context deadline", func(t *testing.T, s sp.Socket) <-chan recvResult {
			ctx, cancel := context.WithTimeout(context.Background(), wait)
			t.Cleanup(cancel)
			return goRecv(t, ctx, s, 1)
		}, context.DeadlineExceeded, wait},
		{"context cancelled", func(t *testing.T, s sp.Socket) <-chan recvResult {
			ctx, cancel := context.WithCancel(context.Background())
			t.Cleanup(cancel)
			rx := goRecv(t, ctx, s, 1)
			waitBusy(t, s)
			cancel()
			return rx
		}, context.Canceled, 0},
	}
	sizes := []struct {
		name string
		n    int
	}{{"small", 1000}, {"large", 200_000}}
	sptest.Streams(t, func(t *testing.T, tr sptest.Transport) {
		for _, tt := range tests {
			for _, size := range sizes {
				t.Run(tt.name+"/"+size.name, func(t *testing.T) {
					sink, pipes, addr := listenPull(t, tr)
					raw := sptest.DialRaw(t, addr, pull.PeerID)
					pipes.WaitLive(t, 1)
					ctx := sptest.Ctx(t)
					takeRole(t, ctx, sink, rawSend(t, raw), "first")

					body := sptest.Payload(size.n, 3)
					frame := append(wire.AppendFrameHeader(nil, tr.Name == "ipc", len(body)), body...)
					cut := len(frame) / 2
					_, err := raw.C.Write(frame[:cut])
					require.NoError(t, err)
					start := time.Now()
					rx := tt.recv(t, sink)
					if tt.min > 0 {
						waitBusy(t, sink)
					}
					r := next(t, rx, tt.name)
					took := time.Since(start)
					require.NoError(t, sp.SetOption(sink, sp.RecvTimeout, time.Duration(0)))
					require.ErrorIs(t, r.err, tt.want, "got %v, want %v", r.err, tt.want)
					require.GreaterOrEqual(t, took, tt.min*9/10, "Recv returned after %v, want at least %v", took, tt.min)
					require.Less(t, took, tt.min+5*time.Second, "Recv returned after %v, want about %v", took, tt.min)
					require.True(t, core.RoleHeld(sink), "read role with the reader after an interrupted Recv; want it kept")

					_, err = raw.C.Write(frame[cut:])
					require.NoError(t, err)
					got, err := sink.Recv(ctx)
					require.NoError(t, err)
					require.True(t, bytes.Equal(body, got), "got %d bytes, want the %d sent", len(got), len(body))
					raw.Send(t, []byte("after"))
					recvWant(t, ctx, sink, "after")
				})
			}
		}
	})
}

// g. A malformed frame sent together with good ones, while a receiver
// reads the pipe itself: the good ones are delivered, the pipe closes at
// once (the receiver reads ahead what was buffered), and the socket serves
// the next peer.
func TestRecvDirectMalformedReadAhead(t *testing.T) {
	hop := func(body string) []byte { return append(wire.AppendHop(nil, 1), body...) }
	tests := []struct {
		name      string
		newSocket func() (sp.Socket, error)
		newPeer   func() (sp.Socket, error)
		peerProto uint16
		maxSize   int
		frame     func(body string) []byte // a good frame's payload
		bad       []byte
		drops     func(sp.Drops) uint64
	}{
		{"pair1 without a hop count", pair1.NewSocket, pair1.NewSocket, pair1.PeerID, 0, hop,
			[]byte{0, 1}, func(d sp.Drops) uint64 { return d.Malformed }},
		{"pull over RecvMaxSize", pull.NewSocket, push.NewSocket, pull.PeerID, 64,
			func(body string) []byte { return []byte(body) },
			make([]byte, 65), func(d sp.Drops) uint64 { return d.TooLarge }},
	}
	sptest.Streams(t, func(t *testing.T, tr sptest.Transport) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				sink := sptest.New(t, tt.newSocket)
				if tt.maxSize > 0 {
					require.NoError(t, sp.SetOption(sink, sp.RecvMaxSize, tt.maxSize))
				}
				pipes := sptest.CountPipes(sink, nil)
				addr := sptest.Listen(t, sink, tr.Addr(t))
				raw := sptest.DialRaw(t, addr, tt.peerProto)
				pipes.WaitLive(t, 1)
				ctx := sptest.Ctx(t)
				rx := goRecv(t, ctx, sink, 1)
				waitBusy(t, sink)
				raw.Send(t, tt.frame("good-0"))
				r := next(t, rx, "good-0")
				require.NoError(t, r.err)
				require.Equal(t, "good-0", string(r.b), "got %q, want %q", r.b, "good-0")

				// Nobody reads while the role lies idle: the three frames
				// wait in the kernel, and one Recv reads them all.
				raw.Send(t, tt.frame("good-1"), tt.frame("good-2"), tt.bad)
				recvWant(t, ctx, sink, "good-1")
				raw.WaitClosed(t) // with no other Recv
				pipes.WaitLive(t, 0)
				recvWant(t, ctx, sink, "good-2")
				require.Equal(t, uint64(1), tt.drops(sink.Stats().Drops), "drops: got %+v, want 1 for the bad frame", sink.Stats().Drops)

				peer := sptest.New(t, tt.newPeer)
				sptest.Dial(t, peer, addr)
				pipes.WaitLive(t, 1)
				takeRole(t, ctx, sink, func(b []byte) error { return peer.Send(ctx, b) }, "next peer")
			})
		}
	})
}

// e. A pipe that closes while its read role lies idle with receivers (no
// Recv running) frees what its peer sent and nobody read: over inproc,
// whole messages waiting in the connection, which only this end reads.
func TestRecvDirectCloseFreesUnread(t *testing.T) {
	check := leaktest.CheckMessages(t)
	closeWithUnread(t)
	check() // the sockets are unreachable now: what they lost is found
}

// closeWithUnread leaves five messages unread in the connection of a pull
// socket whose receivers hold its pipe's read role, and closes it. Its
// sockets are its own (no test cleanup refers to them), so that they are
// unreachable once it returns.
func closeWithUnread(t *testing.T) {
	sink, src := ownPushPull(t) // see freed_test.go
	defer sink.Close()
	defer src.Close()
	ctx := sptest.Ctx(t)
	takeRole(t, ctx, sink, func(b []byte) error { return src.Send(ctx, b) }, "first")
	for i := range 5 {
		require.NoError(t, src.Send(ctx, []byte{byte(i)}))
	}
	require.True(t, core.RoleHeld(sink), "read role with the reader; want it idle with the receivers")
	require.NoError(t, sink.Close())
}
