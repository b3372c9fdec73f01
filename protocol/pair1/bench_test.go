package pair1_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/spgo/sp"
	"github.com/spgo/sp/protocol/pair1"
)

// BenchmarkThroughput measures one pair1 socket sending to another, at each
// size over each transport, with pooled messages (NewMessage, SendMsg,
// RecvMsg, Free): in steady state nothing is allocated per message.
func BenchmarkThroughput(b *testing.B) {
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
				benchThroughput(b, url, size)
			})
		}
	}
}

func benchThroughput(b *testing.B, url string, size int) {
	ctx := context.Background()
	rx, err := pair1.NewSocket()
	if err != nil {
		b.Fatal(err)
	}
	defer rx.Close()
	sp.SetOption(rx, sp.RecvMaxSize, 0)
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
	tx, err := pair1.NewSocket()
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
