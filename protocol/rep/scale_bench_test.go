package rep_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/spgo/sp"
	"github.com/spgo/sp/protocol/rep"
	"github.com/spgo/sp/protocol/req"
)

// BenchmarkIdleConnections connects many req sockets over tcp to one rep
// socket, has each make one request so that every pipe has carried traffic,
// and reports the memory each connection holds once idle (both ends: two
// pipes) as "B/conn". The count is SP_SCALE (default 1000); the issue's
// scale test is
//
//	ulimit -n 21000; SP_SCALE=10000 go test -run XXX -bench IdleConnections -benchtime 1x ./protocol/rep
//
// Both ends live in this process, so 10,000 connections need over 20,000
// descriptors.
func BenchmarkIdleConnections(b *testing.B) {
	n := 1000
	if v, err := strconv.Atoi(os.Getenv("SP_SCALE")); err == nil && v > 0 {
		n = v
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		perConn, took := idleConnections(b, n)
		b.ReportMetric(perConn, "B/conn")
		b.ReportMetric(took.Seconds(), "s/all-served")
	}
}

func heapAndStacks() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse + ms.StackInuse
}

func idleConnections(b *testing.B, n int) (float64, time.Duration) {
	ctx := context.Background()
	server, err := rep.NewSocket()
	if err != nil {
		b.Fatal(err)
	}
	defer server.Close()
	if err := sp.SetOption(server, sp.RecvQueueLen, 8192); err != nil {
		b.Fatal(err)
	}
	l, err := server.NewListener("tcp://127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	if err := l.Listen(); err != nil {
		b.Fatal(err)
	}
	url := fmt.Sprintf("tcp://%s", l.Addr())
	go func() {
		for {
			q, err := server.Recv(ctx)
			if err != nil {
				return
			}
			server.Send(ctx, q)
		}
	}()
	before := heapAndStacks()
	clients := make([]sp.Socket, n)
	defer func() {
		for _, c := range clients {
			if c != nil {
				c.Close()
			}
		}
	}()
	start := time.Now()
	for i := range clients {
		c, err := req.NewSocket()
		if err != nil {
			b.Fatal(err)
		}
		clients[i] = c
		if err := c.Dial(url, sp.WithDialSync()); err != nil {
			b.Fatalf("connection %d: %v", i, err)
		}
	}
	errc := make(chan error, n)
	for _, c := range clients {
		go func() {
			if err := c.Send(ctx, []byte("ping")); err != nil {
				errc <- err
				return
			}
			_, err := c.Recv(ctx)
			errc <- err
		}()
	}
	for range clients {
		if err := <-errc; err != nil {
			b.Fatal(err)
		}
	}
	took := time.Since(start)
	after := heapAndStacks()
	return float64(after-before) / float64(n), took
}
