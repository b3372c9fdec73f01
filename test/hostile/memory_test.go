package hostile_test

import (
	"net"
	"runtime"
	"testing"
	"time"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/leaktest"
	"github.com/stretchr/testify/require"
)

// heapInuse returns the heap in use after collecting garbage.
func heapInuse() uint64 {
	var ms runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

// settle waits for the listener's goroutine count to come back to within
// slack of before, and fails if it does not.
func settle(t *testing.T, before, slack int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before+slack {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines, %d before the attack: some were left behind", runtime.NumGoroutine(), before)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// connLoop opens and drops 1,000 connections: some close at once, some
// send garbage, some complete the handshake (or the WebSocket upgrade) and
// then close. It waits until the listener has dealt with all of them.
func connLoop(t *testing.T, s *setup, st0 sp.SocketStats) {
	const n = 1000
	network, addr := s.hostPort()
	upgraded := 0
	for i := range n {
		if s.tr == "ws" && i%10 == 0 {
			c, _, err := s.wsDial(t, s.p.name+".sp.nanomsg.org")
			require.NoError(t, err)
			c.Close()
			upgraded++
			continue
		}
		c, err := net.Dial(network, addr)
		require.NoError(t, err)
		switch i % 3 {
		case 1:
			_, _ = c.Write([]byte("GET / HTTP/1.0\r\n\r\n\x00\x01"))
		case 2:
			if s.tr != "ws" {
				_, _ = c.Write(handshake(s.p.peer))
			}
		}
		c.Close()
	}
	if s.tr != "ws" {
		// every connection failed its handshake, was rejected, or joined
		s.waitStats(t, "all 1000 connections dealt with", func(st sp.SocketStats) bool {
			return st.HandshakeFailures+st.Rejected+st.Connects-
				(st0.HandshakeFailures+st0.Rejected+st0.Connects) == n
		})
	} else {
		s.waitStats(t, "the upgraded connections", func(st sp.SocketStats) bool {
			return st.Connects+st.Rejected-(st0.Connects+st0.Rejected) == uint64(upgraded)
		})
	}
	s.waitLive(t, 1)
}

// TestHostileMemory measures the heap and the goroutines of a listener
// under attacks that would cost memory if a peer's claims were believed:
// 1,000 connections opened and dropped, and a frame that claims 2^63 bytes.
// It runs its subtests one at a time, each checked for leaked goroutines.
func TestHostileMemory(t *testing.T) {
	for _, tt := range []struct {
		name  string
		limit uint64
		run   func(t *testing.T, s *setup, st0 sp.SocketStats)
	}{
		{"length-2^63", 4 << 20, func(t *testing.T, s *setup, st0 sp.SocketStats) {
			for range 20 {
				st := s.lis.Stats()
				closedWith("a too-large drop", tooLarge, func(s *setup) [][]byte {
					return [][]byte{s.claim(1 << 63), []byte("0123456789")}
				})(t, s, st)
				s.waitLive(t, 1)
			}
		}},
		{"conn-loop-1000", 8 << 20, connLoop},
	} {
		for _, p := range protocols {
			for _, tr := range transports {
				t.Run(p.name+"/"+tr+"/"+tt.name, func(t *testing.T) {
					t.Cleanup(leaktest.Check(t)) // runs last: after the sockets close
					s := newSetup(t, p, tr)
					g0 := runtime.NumGoroutine()
					h0 := heapInuse()
					tt.run(t, s, s.lis.Stats())
					settle(t, g0, 3)
					h1 := heapInuse()
					s.finish(t)
					grew := int64(h1) - int64(h0)
					t.Logf("heap in use %d KiB -> %d KiB (%+d KiB)", h0>>10, h1>>10, grew>>10)
					require.Less(t, grew, int64(tt.limit), "the heap grew by more than %d MiB", tt.limit>>20)
				})
			}
		}
	}
}
