package rep_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"strconv"
	"time"

	"github.com/spgo/sp/protocol/rep"
	"github.com/spgo/sp/protocol/req"
)

// A server answers many requests at once: each handler sleeps, yet ten
// requests take about as long as one, and each reply goes to the client
// that asked.
func ExampleServe() {
	ctx, stop := context.WithCancel(context.Background())

	server, err := rep.NewSocket()
	if err != nil {
		log.Fatal(err)
	}
	defer server.Close()
	if _, err := server.Listen("inproc://example-serve"); err != nil {
		log.Fatal(err)
	}
	served := make(chan error, 1)
	go func() {
		served <- rep.Serve(ctx, server, func(_ context.Context, q []byte) ([]byte, error) {
			n, err := strconv.Atoi(string(q))
			if err != nil {
				return nil, err // no reply: the client gives up after its deadline
			}
			time.Sleep(50 * time.Millisecond) // slow work, done ten at a time here
			return []byte(strconv.Itoa(n * n)), nil
		})
	}()

	sums := make(chan int)
	for c := 1; c <= 10; c++ {
		go func() {
			client, err := req.NewSocket()
			if err != nil {
				log.Fatal(err)
			}
			defer client.Close()
			if err := client.Dial("inproc://example-serve"); err != nil {
				log.Fatal(err)
			}
			b, err := req.Request(ctx, client, []byte(strconv.Itoa(c)))
			if err != nil {
				log.Fatal(err)
			}
			n, _ := strconv.Atoi(string(b))
			sums <- n
		}()
	}
	start, total := time.Now(), 0
	for range 10 {
		total += <-sums
	}
	fmt.Println("sum of squares:", total)
	fmt.Println("in under 10 × 50 ms:", time.Since(start) < 500*time.Millisecond)

	stop() // Serve returns once its handlers have
	fmt.Println(errors.Is(<-served, context.Canceled))
	// Output:
	// sum of squares: 385
	// in under 10 × 50 ms: true
	// true
}

// A server whose handler does not block answers inline: on the goroutine
// that read each request, the replies to requests read together leaving in
// one write.
func ExampleServer_inline() {
	ctx, stop := context.WithCancel(context.Background())
	server, err := rep.NewSocket()
	if err != nil {
		log.Fatal(err)
	}
	defer server.Close()
	l, err := server.Listen("tcp://127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	srv := rep.Server{Inline: true, Handler: func(_ context.Context, q []byte) ([]byte, error) {
		return append([]byte("hello, "), q...), nil // computation only: fit for Inline
	}}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, server) }()

	client, err := req.NewSocket()
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	if err := client.Dial(l.URL()); err != nil {
		log.Fatal(err)
	}
	b, err := req.Request(ctx, client, []byte("inline"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(b))

	stop()
	fmt.Println(errors.Is(<-served, context.Canceled))
	// Output:
	// hello, inline
	// true
}
