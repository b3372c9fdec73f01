package sptest

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/spgo/sp"
)

// BenchThroughput measures one socket sending to another (made by newTx and
// newRx: push and pull, or two pair1 sockets) at 64 B, 1 KiB and 64 KiB over
// inproc, ipc and tcp, as sub-benchmarks named transport/size. Messages are
// pooled (NewMessage, SendMsg, RecvMsg, Free), so that in steady state
// nothing is allocated per message; it reports allocations and bytes.
func BenchThroughput(b *testing.B, newRx, newTx func() (sp.Socket, error)) {
	for _, tr := range []string{"inproc", "ipc", "tcp"} {
		for _, size := range []int{64, 1 << 10, 64 << 10} {
			b.Run(fmt.Sprintf("%s/%d", tr, size), func(b *testing.B) {
				benchThroughput(b, benchURL(b, tr), size, newRx, newTx)
			})
		}
	}
}

// benchURL returns the address a benchmark's listener binds on tr.
func benchURL(b *testing.B, tr string) string {
	switch tr {
	case "inproc":
		return "inproc://bench-" + b.Name()
	case "ipc":
		return "ipc://" + filepath.Join(b.TempDir(), "b.sock")
	default:
		return "tcp://127.0.0.1:0"
	}
}

// benchPair returns a socket made by newRx, listening on url, and one made
// by newTx, connected to it; both close when the benchmark ends.
func benchPair(b *testing.B, url string, newRx, newTx func() (sp.Socket, error)) (rx, tx sp.Socket) {
	rx, err := newRx()
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { rx.Close() })
	if err := sp.SetOption(rx, sp.RecvMaxSize, 0); err != nil {
		b.Fatal(err)
	}
	l, err := rx.NewListener(url)
	if err != nil {
		b.Fatal(err)
	}
	if err := l.Listen(); err != nil {
		b.Fatal(err)
	}
	if a := l.Addr(); a != nil && a.Network() == "tcp" {
		url = "tcp://" + a.String()
	}
	tx, err = newTx()
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { tx.Close() })
	if err := tx.Dial(url, sp.WithDialSync()); err != nil {
		b.Fatal(err)
	}
	return rx, tx
}

func benchThroughput(b *testing.B, url string, size int, newRx, newTx func() (sp.Socket, error)) {
	ctx := context.Background()
	rx, tx := benchPair(b, url, newRx, newTx)
	payload := make([]byte, size)
	done := make(chan error, 1)
	b.ReportAllocs()
	b.SetBytes(int64(size))
	b.ResetTimer()
	go func() {
		for i := 0; i < b.N; i++ {
			m := sp.NewMessage(size)
			m.Body = append(m.Body, payload...)
			if err := tx.SendMsg(ctx, m); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	for i := 0; i < b.N; i++ {
		m, err := rx.RecvMsg(ctx)
		if err != nil {
			b.Fatal(err)
		}
		m.Free()
	}
	if err := <-done; err != nil {
		b.Fatal(err)
	}
}

// BenchLatency measures round trips between two sockets (made by newA and
// newB, two pair1 sockets say) at 64 B and 1 KiB over inproc, ipc and tcp,
// as sub-benchmarks named transport/size: one goroutine sends a message and
// waits for it to come back, the other echoes it. ns/op is one round trip;
// it also reports one-way µs (half of it), allocations and bytes.
func BenchLatency(b *testing.B, newA, newB func() (sp.Socket, error)) {
	for _, tr := range []string{"inproc", "ipc", "tcp"} {
		for _, size := range []int{64, 1 << 10} {
			b.Run(fmt.Sprintf("%s/%d", tr, size), func(b *testing.B) {
				benchLatency(b, benchURL(b, tr), size, newA, newB)
			})
		}
	}
}

func benchLatency(b *testing.B, url string, size int, newA, newB func() (sp.Socket, error)) {
	ctx := context.Background()
	echo, ping := benchPair(b, url, newA, newB)
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
	m := sp.NewMessage(size)
	m.Body = m.Body[:size]
	b.ReportAllocs()
	b.SetBytes(int64(size))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := ping.SendMsg(ctx, m); err != nil {
			b.Fatal(err)
		}
		var err error
		if m, err = ping.RecvMsg(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/2, "µs/one-way")
	m.Free()
	echo.Close()
	if err := <-done; err != nil {
		b.Fatal(err)
	}
}
