package req_test

import (
	"context"
	"fmt"
	"log"
	"strings"
	"sync"

	"github.com/spgo/sp/protocol/rep"
	"github.com/spgo/sp/protocol/req"
)

// A client asks, a server answers.
func Example() {
	ctx := context.Background()

	server, err := rep.NewSocket()
	if err != nil {
		log.Fatal(err)
	}
	defer server.Close()
	if _, err := server.Listen("inproc://example-reqrep"); err != nil {
		log.Fatal(err)
	}
	go func() {
		for {
			q, err := server.Recv(ctx)
			if err != nil {
				return // the server was closed
			}
			server.Send(ctx, []byte(strings.ToUpper(string(q))))
		}
	}()

	client, err := req.NewSocket()
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	if err := client.Dial("inproc://example-reqrep"); err != nil {
		log.Fatal(err)
	}

	for _, q := range []string{"ping", "hello"} {
		if err := client.Send(ctx, []byte(q)); err != nil {
			log.Fatal(err)
		}
		a, err := client.Recv(ctx)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s -> %s\n", q, a)
	}
	// Output:
	// ping -> PING
	// hello -> HELLO
}

// Many goroutines share one req socket with Request: each gets the reply to
// its own request.
func ExampleRequest() {
	ctx := context.Background()

	server, err := rep.NewSocket()
	if err != nil {
		log.Fatal(err)
	}
	defer server.Close()
	if _, err := server.Listen("inproc://example-request"); err != nil {
		log.Fatal(err)
	}
	go rep.Serve(ctx, server, func(_ context.Context, q []byte) ([]byte, error) {
		return []byte(strings.ToUpper(string(q))), nil
	})

	client, err := req.NewSocket()
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	if err := client.Dial("inproc://example-request"); err != nil {
		log.Fatal(err)
	}

	words := []string{"alpha", "bravo", "charlie"}
	replies := make([]string, len(words))
	var wg sync.WaitGroup
	for i, w := range words {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b, err := req.Request(ctx, client, []byte(w))
			if err != nil {
				log.Fatal(err)
			}
			replies[i] = string(b)
		}()
	}
	wg.Wait()
	fmt.Println(replies)
	// Output:
	// [ALPHA BRAVO CHARLIE]
}
