// Command quickstart is the README's quick start: a rep server answering
// with rep.Serve, and a req client asking with req.Request.
//
//	go run ./examples/quickstart
package main

import (
	"context"
	"fmt"
	"log"

	"github.com/spgo/sp/protocol/rep"
	"github.com/spgo/sp/protocol/req"
)

func main() {
	ctx := context.Background()

	server, err := rep.NewSocket()
	if err != nil {
		log.Fatal(err)
	}
	defer server.Close()
	l, err := server.Listen("tcp://127.0.0.1:0") // port 0: the system picks one
	if err != nil {
		log.Fatal(err)
	}
	go rep.Serve(ctx, server, func(ctx context.Context, q []byte) ([]byte, error) {
		return append([]byte("re: "), q...), nil // many at once, each to whoever asked
	})

	client, err := req.NewSocket()
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	if err := client.DialContext(ctx, l.URL()); err != nil { // l.URL() has the chosen port
		log.Fatal(err)
	}
	reply, err := req.Request(ctx, client, []byte("hello")) // safe from any number of goroutines
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s\n", reply) // re: hello
}
