package core_test

import (
	"bytes"
	"context"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/core"
	"github.com/spgo/sp/internal/sptest"
	"github.com/spgo/sp/protocol/pair"
	"github.com/spgo/sp/protocol/pair1"
	"github.com/spgo/sp/protocol/pull"
	"github.com/spgo/sp/protocol/push"
	"github.com/stretchr/testify/require"
)

// Tests of receivers reading a lone pipe themselves (recvdirect.go): over
// inproc, tcp and ipc, the goroutine in Recv on a pair, pair1 or pull socket with a
// single pipe takes that pipe's read role. core.RoleHeld and core.RoleBusy
// (recvdirect_internal_test.go) tell where the role is.

type recvResult struct {
	b   []byte
	err error
}

// spawn runs f in a new goroutine and returns a function that waits for
// its result, failing the test after sptest.Timeout. Whatever happens, the
// test's cleanup calls stop, which must make f return (closing the socket
// f uses), and waits for f.
func spawn(t *testing.T, stop func() error, f func() error) (wait func() error) {
	done := make(chan struct{})
	var err error
	go func() {
		defer close(done)
		err = f()
	}()
	t.Cleanup(func() {
		stop()
		<-done
	})
	return func() error {
		t.Helper()
		select {
		case <-done:
			return err
		case <-time.After(sptest.Timeout):
			t.Fatalf("a goroutine of the test is still running after %v", sptest.Timeout)
			return nil
		}
	}
}

// goRecv calls s.Recv n times in a new goroutine, sending each result on
// the channel it returns and stopping at the first error.
func goRecv(t *testing.T, ctx context.Context, s sp.Socket, n int) <-chan recvResult {
	ch := make(chan recvResult, n)
	spawn(t, s.Close, func() error {
		for range n {
			b, err := s.Recv(ctx)
			ch <- recvResult{b, err}
			if err != nil {
				return err
			}
		}
		return nil
	})
	return ch
}

// next returns the next result of goRecv, failing after sptest.Timeout.
func next(t *testing.T, ch <-chan recvResult, what string) recvResult {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(sptest.Timeout):
		t.Fatalf("%s: Recv did not return within %v", what, sptest.Timeout)
		return recvResult{}
	}
}

// recvWant receives one message from s and fails unless it is want.
func recvWant(t *testing.T, ctx context.Context, s sp.Socket, want string) {
	t.Helper()
	got, err := s.Recv(ctx)
	require.NoError(t, err, "Recv, want %q", want)
	require.Equal(t, want, string(got), "got %q, want %q", got, want)
}

// takeRole has a receiver of s wait in Recv until it reads s's lone pipe
// itself (a Recv that finds a message queued takes no role), then sends msg
// with send and checks that the receiver gets it. s's receivers hold the
// pipe's read role after.
func takeRole(t *testing.T, ctx context.Context, s sp.Socket, send func([]byte) error, msg string) {
	t.Helper()
	rx := goRecv(t, ctx, s, 1)
	waitBusy(t, s)
	require.NoError(t, send([]byte(msg)))
	r := next(t, rx, msg)
	require.NoError(t, r.err)
	require.Equal(t, msg, string(r.b), "got %q, want %q", r.b, msg)
	require.True(t, core.RoleHeld(s), "read role with the reader after a receiver read %q; want it kept", msg)
}

// waitBusy waits until a receiver of s is reading its pipe itself.
func waitBusy(t *testing.T, s sp.Socket) {
	t.Helper()
	sptest.Eventually(t, "a receiver reading its pipe itself", func() bool { return core.RoleBusy(s) })
}

// watcherRunning reports whether the role watcher goroutine is alive.
func watcherRunning() bool {
	buf := make([]byte, 1<<16)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			return bytes.Contains(buf[:n], []byte("sp/internal/core.watch()\n"))
		}
		buf = make([]byte, 2*len(buf))
	}
}

// a. A lone pipe carries a long ping-pong byte for byte, with the receivers
// at both ends holding its read role and reading it themselves.
func TestRecvDirectPingPong(t *testing.T) {
	const rounds = 1000
	protos := []struct {
		name      string
		newSocket func() (sp.Socket, error)
	}{
		{"pair1", pair1.NewSocket},
		{"pair", pair.NewSocket},
	}
	sptest.Transports(t, func(t *testing.T, tr sptest.Transport) {
		for _, pr := range protos {
			t.Run(pr.name, func(t *testing.T) {
				client, server := sptest.Pair(t, tr, pr.newSocket, pr.newSocket)
				ctx := sptest.Ctx(t)
				echo := spawn(t, server.Close, func() error {
					for i := range rounds {
						b, err := server.Recv(ctx)
						if err != nil {
							return fmt.Errorf("server Recv #%d: %w", i, err)
						}
						if err := server.Send(ctx, b); err != nil {
							return fmt.Errorf("server Send #%d: %w", i, err)
						}
					}
					return nil
				})
				for i := range rounds {
					want := sptest.Payload(1+i%700, byte(i))
					if i%100 == 99 { // frames that take many reads
						want = sptest.Payload(100_000+i, byte(i))
					}
					require.NoError(t, client.Send(ctx, want), "Send #%d", i)
					got, err := client.Recv(ctx)
					require.NoError(t, err, "Recv #%d", i)
					require.True(t, bytes.Equal(want, got), "round %d: got %d bytes %.16q, want %d bytes %.16q",
						i, len(got), got, len(want), want)
				}
				require.NoError(t, echo())
				require.True(t, core.RoleHeld(server), "server: read role with the reader; want it kept by its receivers")
				require.True(t, core.RoleHeld(client), "client: read role with the reader; want it kept by its receivers")
				for _, s := range []sp.Socket{client, server} {
					sptest.Eventually(t, "traffic counted", func() bool {
						tr := s.Stats().Traffic
						return tr.MsgsRecv == rounds && tr.MsgsSent == rounds
					})
				}

				// The next Recv reads the connection itself.
				rx := goRecv(t, ctx, server, 1)
				waitBusy(t, server)
				require.NoError(t, client.Send(ctx, []byte("last")))
				r := next(t, rx, "last")
				require.NoError(t, r.err)
				require.Equal(t, "last", string(r.b), "got %q, want %q", r.b, "last")
			})
		}
	})
}

// a. A peer streaming to a single receiver that reads the lone pipe
// itself: what comes in bursts is read ahead into the queue, and it all
// arrives in order, byte for byte.
func TestRecvDirectStream(t *testing.T) {
	const n = 3000
	payload := func(i int) []byte {
		if i%500 == 499 {
			return sptest.Payload(70_000+i, byte(i))
		}
		return sptest.Payload(1+i%300, byte(i))
	}
	sptest.Streams(t, func(t *testing.T, tr sptest.Transport) {
		src, sink := sptest.Pair(t, tr, push.NewSocket, pull.NewSocket)
		ctx := sptest.Ctx(t)
		takeRole(t, ctx, sink, func(b []byte) error { return src.Send(ctx, b) }, "first")
		sent := spawn(t, src.Close, func() error {
			for i := range n {
				if err := src.Send(ctx, payload(i)); err != nil {
					return fmt.Errorf("Send #%d: %w", i, err)
				}
			}
			return nil
		})
		for i := range n {
			got, err := sink.Recv(ctx)
			require.NoError(t, err, "Recv #%d", i)
			want := payload(i)
			require.True(t, bytes.Equal(want, got), "message %d: got %d bytes %.16q, want %d bytes %.16q",
				i, len(got), got, len(want), want)
		}
		require.NoError(t, sent())
		require.True(t, core.RoleHeld(sink), "read role with the reader after the stream; want it kept by the receiver")
	})
}

// b. A second pipe joining takes the read role back from the receivers,
// whether it lies idle or one reads: nothing is lost, doubled or
// reordered, and once the second pipe is gone receivers read again.
func TestRecvDirectSecondPipe(t *testing.T) {
	const n = 200
	sptest.Transports(t, func(t *testing.T, tr sptest.Transport) {
		for _, blocked := range []bool{false, true} {
			name := "idle"
			if blocked {
				name = "blocked in Recv"
			}
			t.Run(name, func(t *testing.T) {
				sink := sptest.New(t, pull.NewSocket)
				pipes := sptest.CountPipes(sink, nil)
				addr := sptest.Listen(t, sink, tr.Addr(t))
				a, b := sptest.New(t, push.NewSocket), sptest.New(t, push.NewSocket)
				sptest.Dial(t, a, addr)
				pipes.WaitLive(t, 1) // a Recv that starts before the pipe joins waits on the queue
				ctx := sptest.Ctx(t)
				takeRole(t, ctx, sink, func(b []byte) error { return a.Send(ctx, b) }, "first")

				var rx <-chan recvResult
				fromA, fromB := 0, 0 // the first message each sender sends below
				if blocked {
					rx = goRecv(t, ctx, sink, 2*n)
					waitBusy(t, sink)
				}
				sptest.Dial(t, b, addr)
				pipes.WaitLive(t, 2)
				if blocked {
					// a is silent: the receiver reading it must let go.
					require.NoError(t, b.Send(ctx, []byte("b-0")))
					r := next(t, rx, "b-0 while a receiver reads the other pipe")
					require.NoError(t, r.err)
					require.Equal(t, "b-0", string(r.b), "got %q, want %q", r.b, "b-0")
					fromB = 1
				} else {
					require.False(t, core.RoleHeld(sink), "read role still with the receivers after a second pipe joined")
					// Nobody is in Recv: a's reader must read this itself.
					require.NoError(t, a.Send(ctx, []byte("a-0")))
					sptest.Eventually(t, "a-0 read by the pipe's reader", func() bool {
						return sink.Stats().Traffic.MsgsRecv == 2
					})
					fromA = 1
					rx = goRecv(t, ctx, sink, 2*n)
				}
				sendAll := func(s sp.Socket, from string, first int) func() error {
					return spawn(t, s.Close, func() error {
						for i := first; i < n; i++ {
							if err := s.Send(ctx, []byte(from+"-"+strconv.Itoa(i))); err != nil {
								return err
							}
						}
						return nil
					})
				}
				waitA, waitB := sendAll(a, "a", fromA), sendAll(b, "b", fromB)
				seen := map[string]int{"a": 0, "b": fromB}
				for k := fromB; k < 2*n; k++ {
					r := next(t, rx, fmt.Sprintf("message %d of %d", k, 2*n))
					require.NoError(t, r.err)
					from, idx, _ := strings.Cut(string(r.b), "-")
					i, err := strconv.Atoi(idx)
					require.NoError(t, err, "message %q", r.b)
					require.Equal(t, seen[from], i, "from %s: got message %d, want %d", from, i, seen[from])
					seen[from]++
				}
				require.NoError(t, waitA())
				require.NoError(t, waitB())
				require.Equal(t, map[string]int{"a": n, "b": n}, seen)

				// Alone again, a's pipe is read by receivers once more.
				require.NoError(t, b.Close())
				pipes.WaitLive(t, 1)
				takeRole(t, ctx, sink, func(b []byte) error { return a.Send(ctx, b) }, "alone")
			})
		}
	})
}

// c. Receivers that contend for a lone pipe each get their share, every
// message exactly once, and then leave the role with the pipe's reader.
// Sent in lockstep (one message, then its receipt), nothing is read ahead:
// a receiver that kept the role idle while others wait would strand them.
func TestRecvDirectContention(t *testing.T) {
	const receivers, each = 4, 50
	sptest.Transports(t, func(t *testing.T, tr sptest.Transport) {
		for _, lockstep := range []bool{false, true} {
			name := "burst"
			if lockstep {
				name = "lockstep"
			}
			t.Run(name, func(t *testing.T) {
				src, sink := sptest.Pair(t, tr, push.NewSocket, pull.NewSocket)
				ctx := sptest.Ctx(t)
				takeRole(t, ctx, sink, func(b []byte) error { return src.Send(ctx, b) }, "warm")

				got := make(chan string, receivers*each)
				var waits []func() error
				for range receivers {
					waits = append(waits, spawn(t, sink.Close, func() error {
						for range each { // exactly its share: no receiver may take them all
							b, err := sink.Recv(ctx)
							if err != nil {
								return err
							}
							got <- string(b)
						}
						return nil
					}))
				}
				sptest.Eventually(t, "one receiver reading, others waiting", func() bool {
					return core.RoleBusy(sink) && core.RecvWaiting(sink)
				})
				seen := make(map[string]int)
				take := func() {
					t.Helper()
					select {
					case m := <-got:
						seen[m]++
					case <-time.After(sptest.Timeout):
						t.Fatalf("%d of %d messages received after %v", len(seen), receivers*each, sptest.Timeout)
					}
				}
				for i := range receivers * each {
					require.NoError(t, src.Send(ctx, []byte(strconv.Itoa(i))))
					if lockstep {
						take()
					}
				}
				for len(seen) < receivers*each && !lockstep {
					take()
				}
				for i, wait := range waits {
					require.NoError(t, wait(), "receiver %d", i)
				}
				for i := range receivers * each {
					n := seen[strconv.Itoa(i)]
					require.Equal(t, 1, n, "message %d: got it %d times, want once", i, n)
				}
				require.Len(t, seen, receivers*each)

				// After contention the role stays with the reader for a while.
				for i := range 5 {
					require.False(t, core.RoleHeld(sink), "call %d after contention: read role with the receivers; want it with the reader", i)
					msg := "after-" + strconv.Itoa(i)
					require.NoError(t, src.Send(ctx, []byte(msg)))
					recvWant(t, ctx, sink, msg)
				}
				require.False(t, core.RoleHeld(sink), "read role with the receivers after contention; want it with the reader")
			})
		}
	})
}

// h. The role watcher goroutine runs only while some read role lies with
// receivers: it exits when the sockets close, when a second pipe takes the
// role back, and when the peer leaves.
func TestRecvDirectWatcherExits(t *testing.T) {
	if !core.CanWatch {
		t.Skip("no role watcher on this system")
	}
	holdRole := func(t *testing.T, tr sptest.Transport) (peer, sink sp.Socket, pipes *sptest.Pipes, addr string) {
		sink = sptest.New(t, pull.NewSocket)
		pipes = sptest.CountPipes(sink, nil)
		addr = sptest.Listen(t, sink, tr.Addr(t))
		peer = sptest.New(t, push.NewSocket)
		sptest.Dial(t, peer, addr)
		pipes.WaitLive(t, 1)
		ctx := sptest.Ctx(t)
		takeRole(t, ctx, sink, func(b []byte) error { return peer.Send(ctx, b) }, "hold")
		require.Equal(t, 1, core.WatchedRoles(), "connections watched: got %d, want 1", core.WatchedRoles())
		require.True(t, watcherRunning(), "no role watcher goroutine while a role lies with receivers")
		return peer, sink, pipes, addr
	}
	tests := []struct {
		name string
		end  func(t *testing.T, tr sptest.Transport)
	}{
		{"sockets close", func(t *testing.T, tr sptest.Transport) {
			peer, sink, _, _ := holdRole(t, tr)
			require.NoError(t, sink.Close())
			require.NoError(t, peer.Close())
		}},
		{"second pipe joins", func(t *testing.T, tr sptest.Transport) {
			_, sink, pipes, addr := holdRole(t, tr)
			sptest.Dial(t, sptest.New(t, push.NewSocket), addr)
			pipes.WaitLive(t, 2)
			require.False(t, core.RoleHeld(sink), "read role with the receivers after a second pipe joined")
		}},
		{"peer leaves", func(t *testing.T, tr sptest.Transport) {
			peer, _, pipes, _ := holdRole(t, tr)
			require.NoError(t, peer.Close())
			pipes.WaitLive(t, 0)
		}},
	}
	sptest.Streams(t, func(t *testing.T, tr sptest.Transport) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				sptest.Eventually(t, "no role watcher before the test", func() bool { return !watcherRunning() })
				tt.end(t, tr)
				require.Equal(t, 0, core.WatchedRoles(), "connections watched: got %d, want 0", core.WatchedRoles())
				sptest.Eventually(t, "the role watcher goroutine exits", func() bool { return !watcherRunning() })
			})
		}
	})
}
