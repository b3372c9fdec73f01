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
				var url string
				switch tr {
				case "inproc":
					url = "inproc://bench-" + b.Name()
				case "ipc":
					url = "ipc://" + filepath.Join(b.TempDir(), "b.sock")
				case "tcp":
					url = "tcp://127.0.0.1:0"
				}
				benchThroughput(b, url, size, newRx, newTx)
			})
		}
	}
}

func benchThroughput(b *testing.B, url string, size int, newRx, newTx func() (sp.Socket, error)) {
	ctx := context.Background()
	rx, err := newRx()
	if err != nil {
		b.Fatal(err)
	}
	defer rx.Close()
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
	tx, err := newTx()
	if err != nil {
		b.Fatal(err)
	}
	defer tx.Close()
	if err := tx.Dial(url, sp.WithDialSync()); err != nil {
		b.Fatal(err)
	}
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
