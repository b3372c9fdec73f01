package udp_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/spgo/sp"
	"github.com/spgo/sp/protocol/pair"
	"github.com/spgo/sp/protocol/pull"
	"github.com/spgo/sp/protocol/push"
)

// benchLossWait is how long a benchmark waits for a message before it
// counts it lost: udp promises no delivery.
const benchLossWait = 100 * time.Millisecond

// benchPair returns rx listening on udp://127.0.0.1 and tx dialed to it.
func benchPair(b *testing.B, newRx, newTx func() (sp.Socket, error)) (rx, tx sp.Socket) {
	rx, err := newRx()
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { rx.Close() })
	l, err := rx.Listen("udp://127.0.0.1:0", sp.With(sp.RecvMaxSize, 0))
	if err != nil {
		b.Fatal(err)
	}
	tx, err = newTx()
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { tx.Close() })
	if err := tx.Dial(l.URL(), sp.WithDialSync()); err != nil {
		b.Fatal(err)
	}
	for _, s := range []sp.Socket{rx, tx} {
		if err := sp.SetOption(s, sp.RecvTimeout, benchLossWait); err != nil {
			b.Fatal(err)
		}
	}
	return rx, tx
}

// recvWithin receives a message, or returns nil once benchLossWait (the
// socket's RecvTimeout, set by benchPair) passes.
func recvWithin(b *testing.B, s sp.Socket) *sp.Message {
	m, err := s.RecvMsg(context.Background())
	if errors.Is(err, sp.ErrTimeout) {
		return nil
	}
	if err != nil {
		b.Fatal(err)
	}
	return m
}

// BenchmarkThroughput measures a push socket sending to a pull socket over
// loopback udp, with pooled messages. The sender keeps at most a window
// of messages (about 256 KiB) ahead of the receiver, which udp does not do
// for it (it drops what overflows); a message that has not come within
// 100 ms is counted lost (lost/op).
func BenchmarkThroughput(b *testing.B) {
	for _, size := range []int{64, 1 << 10, 60000} {
		b.Run(fmt.Sprint(size), func(b *testing.B) { benchThroughput(b, size) })
	}
}

func benchThroughput(b *testing.B, size int) {
	rx, tx := benchPair(b, pull.NewSocket, push.NewSocket)
	window := min(max(256<<10/(size+8), 4), 100)
	var (
		mu         sync.Mutex
		room       = sync.NewCond(&mu)
		sent, done int // done: received or given up as lost
		lost       int
	)
	payload := make([]byte, size)
	errc := make(chan error, 1)
	b.ReportAllocs()
	b.SetBytes(int64(size))
	b.ResetTimer()
	go func() {
		ctx := context.Background()
		for range b.N {
			mu.Lock()
			for sent-done >= window {
				room.Wait()
			}
			sent++
			mu.Unlock()
			m := sp.NewMessage(size)
			m.Body = append(m.Body, payload...)
			if err := tx.SendMsg(ctx, m); err != nil {
				errc <- err
				return
			}
		}
		errc <- nil
	}()
	for {
		mu.Lock()
		finished := done >= b.N
		mu.Unlock()
		if finished {
			break
		}
		m := recvWithin(b, rx)
		mu.Lock()
		switch {
		case m == nil:
			lost += sent - done
			done = sent
		case done < sent:
			done++
		default:
			lost-- // a late one, given up already
		}
		room.Signal()
		mu.Unlock()
		if m != nil {
			m.Free()
		}
	}
	b.StopTimer()
	if err := <-errc; err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(lost)/float64(b.N), "lost/op")
}

// BenchmarkLatency measures round trips between two pair sockets over
// loopback udp: one sends a message and waits for it to come back, the
// other echoes it. ns/op is one round trip; it also reports one-way µs. A
// round trip that has not come back within 100 ms is sent again and
// counted (lost/op).
func BenchmarkLatency(b *testing.B) {
	for _, size := range []int{64, 1 << 10} {
		b.Run(fmt.Sprint(size), func(b *testing.B) { benchLatency(b, size) })
	}
}

func benchLatency(b *testing.B, size int) {
	echo, ping := benchPair(b, pair.NewSocket, pair.NewSocket)
	ctx := context.Background()
	done := make(chan error, 1)
	go func() {
		for {
			m, err := echo.RecvMsg(ctx)
			if err != nil {
				done <- nil // the benchmark closed the socket
				return
			}
			if err := echo.SendMsg(ctx, m); err != nil {
				done <- err
				return
			}
		}
	}()
	lost := 0
	m := sp.NewMessage(size)
	m.Body = m.Body[:size]
	b.ReportAllocs()
	b.SetBytes(int64(size))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := ping.SendMsg(ctx, m); err != nil {
			b.Fatal(err)
		}
		if m = recvWithin(b, ping); m == nil {
			lost++
			m = sp.NewMessage(size)
			m.Body = m.Body[:size]
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/2, "µs/one-way")
	b.ReportMetric(float64(lost)/float64(b.N), "lost/op")
	m.Free()
	echo.Close()
	if err := <-done; err != nil {
		b.Fatal(err)
	}
}
