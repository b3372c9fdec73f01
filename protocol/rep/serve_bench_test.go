package rep_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/sptest"
	"github.com/spgo/sp/protocol/rep"
	"github.com/spgo/sp/protocol/req"
)

// BenchmarkRPC compares rep.Serve with req.Request, and Serve with
// Server.Inline, against the same exchange written by hand on contexts
// (what Serve and Request replace):
// 64 requesters over 8 req sockets, one rep socket answering 64 requests
// at once, 64-byte echo. ns/op is per request.
//
//	go test -run XXX -bench RPC ./protocol/rep
func BenchmarkRPC(b *testing.B) {
	for _, tr := range []string{"inproc", "tcp"} {
		for _, api := range []string{"contexts", "serve+request", "inline+request"} {
			b.Run(tr+"/"+api, func(b *testing.B) { benchRPC(b, tr, api != "contexts", api == "inline+request") })
		}
	}
}

func benchRPC(b *testing.B, tr string, useServe, inline bool) {
	const requesters, sockets, size = 64, 8, 64
	addr := sptest.InprocAddr()
	if tr == "tcp" {
		addr = sptest.TCPAddr(b)
	}
	server := sptest.New(b, rep.NewSocket)
	addr = sptest.Listen(b, server, addr)
	ctx, cancel := context.WithCancel(context.Background())
	var served sync.WaitGroup
	defer func() { cancel(); server.Close(); served.Wait() }()
	if useServe {
		served.Add(1)
		go func() {
			defer served.Done()
			(&rep.Server{Concurrency: requesters, Inline: inline, Handler: func(_ context.Context, q []byte) ([]byte, error) {
				return q, nil
			}}).Serve(ctx, server)
		}()
	} else {
		for range requesters {
			c, err := server.OpenContext()
			if err != nil {
				b.Fatal(err)
			}
			served.Add(1)
			go func() {
				defer served.Done()
				for {
					q, err := c.Recv(ctx)
					if err != nil {
						return
					}
					if c.Send(ctx, q) != nil {
						return
					}
				}
			}()
		}
	}
	clients := make([]sp.Socket, sockets)
	for i := range clients {
		clients[i] = sptest.New(b, req.NewSocket)
		sptest.Dial(b, clients[i], addr)
	}
	body := make([]byte, size)
	var left atomic.Int64
	left.Store(int64(b.N))
	b.SetBytes(size)
	b.ReportAllocs()
	b.ResetTimer()
	var wg sync.WaitGroup
	for g := range requesters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := clients[g%sockets]
			var c sp.Context
			if !useServe {
				var err error
				if c, err = s.OpenContext(); err != nil {
					b.Error(err)
					return
				}
				defer c.Close()
			}
			for left.Add(-1) >= 0 {
				var err error
				if useServe {
					_, err = req.Request(ctx, s, body)
				} else if err = c.Send(ctx, body); err == nil {
					_, err = c.Recv(ctx)
				}
				if err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}
