package bus_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/leaktest"
	"github.com/spgo/sp/internal/sptest"
	"github.com/spgo/sp/protocol/bus"
	"github.com/stretchr/testify/require"
)

func TestMain(m *testing.M) { leaktest.VerifyTestMain(m) }

type ctor = func() (sp.Socket, error)

// hubAndLeaves makes hub listen on a fresh address of tr and n leaves dial
// it, and returns once the hub has all n pipes.
func hubAndLeaves(t *testing.T, tr sptest.Transport, newHub, newLeaf ctor, n int) (sp.Socket, []sp.Socket) {
	t.Helper()
	hub := sptest.New(t, newHub)
	pipes := sptest.CountPipes(hub, nil)
	addr := sptest.Listen(t, hub, tr.Addr(t))
	leaves := make([]sp.Socket, n)
	for i := range leaves {
		leaves[i] = sptest.New(t, newLeaf)
		sptest.Dial(t, leaves[i], addr)
	}
	pipes.WaitLive(t, n)
	hub.SetPipeHook(nil)
	return hub, leaves
}

func recvString(t *testing.T, s sp.Socket, want, who string) *sp.Message {
	t.Helper()
	m, err := s.RecvMsg(sptest.Ctx(t))
	require.NoError(t, err, "%s: RecvMsg, want %q", who, want)
	require.Equal(t, want, string(m.Body), "%s: got %q, want %q", who, m.Body, want)
	require.Empty(t, m.Header, "%s: bus messages have no header", who)
	return m
}

// What the hub sends reaches every leaf; what a leaf sends reaches the hub
// only: a bus member does not forward.
func TestBusFanOut(t *testing.T) {
	for _, tc := range []struct {
		name   string
		newHub ctor
		raw    bool
	}{{"cooked", bus.NewSocket, false}, {"raw", bus.NewRawSocket, true}} {
		t.Run(tc.name, func(t *testing.T) {
			sptest.Transports(t, func(t *testing.T, tr sptest.Transport) {
				hub, leaves := hubAndLeaves(t, tr, tc.newHub, bus.NewSocket, 3)
				raw, err := sp.GetOption(hub, sp.Raw)
				require.NoError(t, err)
				require.Equal(t, tc.raw, raw, "sp.Raw: got %v, want %v", raw, tc.raw)
				ctx := sptest.Ctx(t)
				for i := range 5 {
					require.NoError(t, hub.Send(ctx, []byte(fmt.Sprint("all ", i))))
				}
				for j, l := range leaves {
					for i := range 5 {
						recvString(t, l, fmt.Sprint("all ", i), fmt.Sprint("leaf ", j))
					}
				}
				require.NoError(t, leaves[0].Send(ctx, []byte("up")))
				m := recvString(t, hub, "up", "hub")
				require.NotNil(t, m.Pipe(), "a received message knows its pipe")
				require.NoError(t, hub.Send(ctx, []byte("marker")))
				for j, l := range leaves {
					recvString(t, l, "marker", fmt.Sprint("leaf ", j))
				}
			})
		})
	}
}

// A raw bus device (sp.Device reflecting one socket) passes each message to
// every member but its sender: no member ever gets its own message back.
func TestBusDeviceNoEcho(t *testing.T) {
	sptest.Transports(t, func(t *testing.T, tr sptest.Transport) {
		hub, leaves := hubAndLeaves(t, tr, bus.NewRawSocket, bus.NewSocket, 3)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- sp.Device(ctx, hub, nil) }()
		t.Cleanup(func() {
			cancel()
			require.ErrorIs(t, <-done, context.Canceled)
		})
		// Round i: leaf i sends, every other leaf gets it next. An echo to
		// leaf i would come before the next round's message.
		for pass := range 2 {
			for i, l := range leaves {
				body := fmt.Sprintf("pass %d from %d", pass, i)
				require.NoError(t, l.Send(sptest.Ctx(t), []byte(body)))
				for j, o := range leaves {
					if j != i {
						recvString(t, o, body, fmt.Sprint("leaf ", j))
					}
				}
			}
		}
	})
}

// A raw bus socket sends a received message on to every peer but its
// sender; clearing the pipe sends it to all.
func TestBusRawSkipsSender(t *testing.T) {
	sptest.Transports(t, func(t *testing.T, tr sptest.Transport) {
		hub, leaves := hubAndLeaves(t, tr, bus.NewRawSocket, bus.NewSocket, 2)
		ctx := sptest.Ctx(t)
		require.NoError(t, leaves[0].Send(ctx, []byte("one")))
		m := recvString(t, hub, "one", "hub")
		require.NoError(t, hub.SendMsg(ctx, m))
		recvString(t, leaves[1], "one", "leaf 1")

		require.NoError(t, leaves[0].Send(ctx, []byte("two")))
		m = recvString(t, hub, "two", "hub")
		m.SetPipe(nil)
		require.NoError(t, hub.SendMsg(ctx, m))
		recvString(t, leaves[1], "two", "leaf 1")
		recvString(t, leaves[0], "two", "leaf 0") // not "one": that was not echoed
	})
}

// A Header (bus has none) is not sent: the peer gets the body alone.
func TestBusSendDropsHeader(t *testing.T) {
	sptest.Transports(t, func(t *testing.T, tr sptest.Transport) {
		a, b := sptest.Pair(t, tr, bus.NewSocket, bus.NewSocket)
		m := sp.NewMessage(8)
		m.Header = append(m.Header, "junk"...)
		m.Body = append(m.Body, "first"...)
		require.NoError(t, a.SendMsg(sptest.Ctx(t), m))
		recvString(t, b, "first", "b")
	})
}
