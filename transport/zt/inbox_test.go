package zt_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/leaktest"
	"github.com/spgo/sp/internal/sptest"
	"github.com/spgo/sp/protocol/pull"
	"github.com/spgo/sp/protocol/push"
	"github.com/spgo/sp/transport/zt"
	"github.com/stretchr/testify/require"
)

// flood sends 1 KiB messages on s until ctx ends.
func flood(ctx context.Context, s sp.Socket) {
	body := sptest.Payload(1024, 1)
	for ctx.Err() == nil {
		if s.Send(ctx, body) != nil {
			return
		}
	}
}

// memListen listens with s on a memory switch port of node listenNode.
func memListen(t *testing.T, sw *zt.MemorySwitch, s sp.Socket) string {
	t.Helper()
	l, err := s.NewListener(fmt.Sprintf("zt://*.%016x:0", uint64(testNWID)),
		sp.With(zt.Switch, sw), sp.With(zt.LocalNode, listenNode))
	require.NoError(t, err)
	require.NoError(t, l.Listen())
	return l.Addr().String()
}

// memDialOpts are a dialer's options on node dialNode of a memory switch.
func memDialOpts(sw *zt.MemorySwitch) []sp.EndpointOption {
	return []sp.EndpointOption{sp.With(zt.Switch, sw), sp.With(zt.LocalNode, dialNode),
		sp.With(zt.ConnectTime, 50*time.Millisecond), sp.With(zt.ConnectTries, 40),
		sp.WithDialSync(), sp.With(sp.ReconnectMin, time.Hour)}
}

// TestAckLostWhileDataFlows loses the listener's CONN-ACK while its push
// socket already streams to the new connection. The dialer must still
// get the CONN-ACK its next request brings: the data queued for a
// connection nobody reads yet must not hold up the node's other frames.
func TestAckLostWhileDataFlows(t *testing.T) {
	t.Cleanup(leaktest.Check(t))
	sw := zt.NewMemorySwitch(1500)
	ctx := sptest.Ctx(t)
	p, q := sptest.New(t, push.NewSocket), sptest.New(t, pull.NewSocket)
	addr := memListen(t, sw, p)
	var acks atomic.Int32
	sw.SetDrop(func(b []byte) bool { return b[0] == 0x12 && acks.Add(1) == 1 }) // the first CONN-ACK
	fctx, stop := context.WithCancel(ctx)
	defer stop()
	go flood(fctx, p)

	start := time.Now()
	require.NoError(t, q.Dial(addr, memDialOpts(sw)...))
	t.Logf("dialed in %v, %d CONN-ACKs sent", time.Since(start), acks.Load())
	require.GreaterOrEqual(t, acks.Load(), int32(2), "CONN-ACKs sent, the first one dropped")
	for range 10 {
		_, err := q.Recv(ctx)
		require.NoError(t, err)
	}
}

// TestSlowReaderDoesNotStallNode fills one connection's inbox (its pull
// socket never reads) and checks that another connection of the same
// node keeps receiving at once: frames beyond a full inbox are dropped,
// not waited on by the reader all connections share.
func TestSlowReaderDoesNotStallNode(t *testing.T) {
	t.Cleanup(leaktest.Check(t))
	sw := zt.NewMemorySwitch(1500)
	ctx := sptest.Ctx(t)
	p1, p2 := sptest.New(t, push.NewSocket), sptest.New(t, push.NewSocket)
	slow, fast := sptest.New(t, pull.NewSocket), sptest.New(t, pull.NewSocket)
	require.NoError(t, slow.Dial(memListen(t, sw, p1), memDialOpts(sw)...))
	require.NoError(t, fast.Dial(memListen(t, sw, p2), memDialOpts(sw)...))
	fctx, stop := context.WithCancel(ctx)
	defer stop()
	go flood(fctx, p1)                 // to slow, which never reads
	time.Sleep(200 * time.Millisecond) // thousands of frames: its inbox is full

	for i := range 20 {
		require.NoError(t, p2.Send(ctx, []byte("hello")))
		rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		got, err := fast.Recv(rctx)
		cancel()
		require.NoError(t, err, "message %d to the other connection", i)
		require.Equal(t, "hello", string(got))
	}
}
