package zt_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"testing"
	"testing/synctest"
	"time"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/leaktest"
	"github.com/spgo/sp/internal/sptest"
	"github.com/spgo/sp/protocol/pair"
	"github.com/spgo/sp/protocol/pull"
	"github.com/spgo/sp/protocol/push"
	"github.com/spgo/sp/transport/zt"
	"github.com/stretchr/testify/require"
)

// memPair connects two pair sockets over sw with extra options on both.
func memPair(t *testing.T, sw *zt.MemorySwitch, newA, newB func() (sp.Socket, error), extra ...sp.EndpointOption) (a, b sp.Socket, pa, pb *sptest.Pipes) {
	t.Helper()
	a, b = sptest.New(t, newA), sptest.New(t, newB)
	pa, pb = sptest.CountPipes(a, nil), sptest.CountPipes(b, nil)
	opts := func(node uint64) []sp.EndpointOption {
		return append([]sp.EndpointOption{sp.With(zt.Switch, sw), sp.With(zt.LocalNode, node),
			sp.With(zt.ConnectTime, 50*time.Millisecond)}, extra...)
	}
	l, err := b.NewListener(fmt.Sprintf("zt://*.%016x:0", uint64(testNWID)), opts(listenNode)...)
	require.NoError(t, err)
	require.NoError(t, l.Listen())
	require.NoError(t, a.Dial(l.Addr().String(), append(opts(dialNode), sp.WithDialSync(), sp.With(sp.ReconnectMin, time.Hour))...))
	pb.WaitLive(t, 1)
	return a, b, pa, pb
}

// TestPingsKeepAlive checks that idle connections stay up while pings
// are answered, and close on both sides once they are not: in a synctest
// bubble over a memory switch, on fake time, PingTime after the last of
// PingTries unanswered pings, sent PingTime apart from PingTime idle on.
func TestPingsKeepAlive(t *testing.T) {
	t.Cleanup(leaktest.Check(t))
	const ping, tries = 30 * time.Millisecond, 3
	synctest.Test(t, func(t *testing.T) {
		sw := zt.NewMemorySwitch(1500)
		ctx := sptest.Ctx(t)
		a, b, pa, pb := memPair(t, sw, pair.NewSocket, pair.NewSocket,
			sp.With(zt.PingTime, ping), sp.With(zt.PingTries, tries))
		time.Sleep(100 * ping) // idle
		synctest.Wait()
		require.Equal(t, 1, pa.Live(), "dialer's pipes after %v idle", 100*ping)
		require.Equal(t, 1, pb.Live(), "listener's pipes after %v idle", 100*ping)
		require.NoError(t, a.Send(ctx, []byte("still there")))
		got, err := b.Recv(ctx)
		require.NoError(t, err)
		require.Equal(t, "still there", string(got))

		sw.SetDrop(func([]byte) bool { return true }) // the network goes away
		// The listener last heard from its peer now ("still there"): it
		// pings at 1, 2 and 3 PingTimes and gives up at 4. The dialer
		// last heard from its peer (a PONG or a PING) no later.
		start, want := time.Now(), (tries+1)*ping
		pb.WaitLive(t, 0)
		took := time.Since(start)
		require.Equal(t, want, took, "the listener's pipe closed %v after the network went away, want %v", took, want)
		pa.WaitLive(t, 0)
		took = time.Since(start)
		require.LessOrEqual(t, took, want, "the dialer's pipe closed %v after the network went away, want at most %v", took, want)
	})
}

// TestMemoryLoss drops 20% of the frames on a memory switch: each message
// arrives intact or not at all. It runs in a synctest bubble: the 2 s the
// receiver waits for the last messages, which may be lost, are fake time.
func TestMemoryLoss(t *testing.T) {
	t.Cleanup(leaktest.Check(t))
	synctest.Test(t, func(t *testing.T) {
		sw := zt.NewMemorySwitch(1500)
		ctx := sptest.Ctx(t)
		p, q, _, _ := memPair(t, sw, push.NewSocket, pull.NewSocket)
		sw.SetDrop(func([]byte) bool { return rand.IntN(5) == 0 })
		const n = 400
		go func() {
			for i := range n {
				size := []int{10, 1400, 3000, 6000}[i%4]
				body := sptest.Payload(size, byte(i))
				sum := sha256.Sum256(body)
				m := binary.BigEndian.AppendUint32(nil, uint32(i))
				if p.Send(ctx, append(append(m, sum[:]...), body...)) != nil {
					return
				}
			}
		}()
		rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		last, got, lost := -1, 0, 0
		for last < n-1 {
			b, err := q.Recv(rctx)
			if err != nil {
				break // the last messages were lost
			}
			require.GreaterOrEqual(t, len(b), 36)
			i := int(binary.BigEndian.Uint32(b))
			sum := sha256.Sum256(b[36:])
			require.True(t, bytes.Equal(sum[:], b[4:36]), "message #%d (%d bytes) corrupted", i, len(b))
			require.Greater(t, i, last)
			lost += i - last - 1
			last = i
			got++
		}
		t.Logf("%d of %d messages intact, %d lost", got, n, lost)
		require.NotZero(t, got)
		require.NotZero(t, lost)
	})
}
