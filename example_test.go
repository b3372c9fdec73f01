package sp_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"slices"
	"time"

	"github.com/spgo/sp"
	"github.com/spgo/sp/protocol/pub"
	"github.com/spgo/sp/protocol/pull"
	"github.com/spgo/sp/protocol/push"
	"github.com/spgo/sp/protocol/rep"
	"github.com/spgo/sp/protocol/req"
	"github.com/spgo/sp/protocol/sub"
)

// A service in a few lines: a rep socket serving requests with rep.Serve,
// a req socket asking with req.Request, typed options and errors matched
// with errors.Is.
func Example() {
	ctx := context.Background()

	server, err := rep.NewSocket()
	if err != nil {
		log.Fatal(err)
	}
	defer server.Close()
	if err := sp.SetOption(server, sp.RecvMaxSize, 64<<10); err != nil {
		log.Fatal(err)
	}
	l, err := server.Listen("tcp://127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	go rep.Serve(ctx, server, func(_ context.Context, q []byte) ([]byte, error) {
		return append([]byte("hello, "), q...), nil
	})

	client, err := req.NewSocket()
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	if err := client.DialContext(ctx, l.URL()); err != nil {
		log.Fatal(err)
	}
	reply, err := req.Request(ctx, client, []byte("world"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(reply))

	// A bare req socket runs one exchange at a time, and says so rather
	// than hand one goroutine another's reply.
	if err := client.Send(ctx, []byte("first")); err != nil {
		log.Fatal(err)
	}
	err = client.Send(ctx, []byte("second, before the first's reply"))
	fmt.Println(errors.Is(err, sp.ErrBadState))
	// Output:
	// hello, world
	// true
}

// Shutdown writes out what Send accepted before it closes the socket, where
// Close would drop what is still queued; bounded by its context, it says
// how many messages it had to drop.
func ExampleSocket_Shutdown() {
	ctx := context.Background()

	rx, err := pull.NewSocket()
	if err != nil {
		log.Fatal(err)
	}
	defer rx.Close()
	l, err := rx.Listen("tcp://127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	tx, err := push.NewSocket()
	if err != nil {
		log.Fatal(err)
	}
	if err := tx.DialContext(ctx, l.URL()); err != nil {
		log.Fatal(err)
	}

	got := make(chan int)
	go func() {
		n := 0
		for {
			if _, err := rx.Recv(ctx); err != nil {
				break // tx is gone, and rx closed
			}
			if n++; n == 500 {
				got <- n
			}
		}
	}()
	for i := range 500 {
		if err := tx.Send(ctx, fmt.Appendf(nil, "message %d", i)); err != nil {
			log.Fatal(err)
		}
	}
	shutCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	err = tx.Shutdown(shutCtx)
	var se *sp.ShutdownError
	if errors.As(err, &se) {
		fmt.Println("dropped:", se.Dropped)
	}
	fmt.Println("shut down:", err == nil, "received:", <-got)
	// Output:
	// shut down: true received: 500
}

// WaitPeers answers the slow joiner: a publisher sends only to the
// subscribers connected when it sends, so it waits for them first.
func ExampleSocket_WaitPeers() {
	ctx := context.Background()

	publisher, err := pub.NewSocket()
	if err != nil {
		log.Fatal(err)
	}
	defer publisher.Close()
	l, err := publisher.Listen("inproc://example-waitpeers")
	if err != nil {
		log.Fatal(err)
	}
	var subs []sp.Socket
	for range 3 {
		s, err := sub.NewSocket()
		if err != nil {
			log.Fatal(err)
		}
		defer s.Close()
		if err := sub.Subscribe(s, ""); err != nil {
			log.Fatal(err)
		}
		if err := s.Dial(l.URL()); err != nil { // connects in the background
			log.Fatal(err)
		}
		subs = append(subs, s)
	}
	waitCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := publisher.WaitPeers(waitCtx, len(subs)); err != nil {
		log.Fatal(err)
	}
	if err := publisher.Send(ctx, []byte("news")); err != nil {
		log.Fatal(err)
	}
	var got []string
	for _, s := range subs {
		b, err := s.Recv(ctx)
		if err != nil {
			log.Fatal(err)
		}
		got = append(got, string(b))
	}
	fmt.Println(slices.Compact(got), len(got))
	// Output:
	// [news] 3
}

// A connection that wraps a transport's connection keeps its capabilities
// by implementing ConnUnwrapper; the engine finds them with ConnAs.
func ExampleConnAs() {
	var c sp.TransportConn = &countingConn{TransportConn: &bareConn{}}
	if hc, ok := sp.ConnAs[sp.HalfCloser](c); ok {
		fmt.Println("half-closes:", hc.CloseWrite() == nil)
	}
	_, direct := sp.ConnAs[sp.DirectSender](c)
	fmt.Println("sends direct:", direct)
	// Output:
	// half-closes: true
	// sends direct: false
}
