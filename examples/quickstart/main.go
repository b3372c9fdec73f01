package main

import (
	"context"
	"fmt"

	"github.com/spgo/sp"
	"github.com/spgo/sp/protocol/rep"
	"github.com/spgo/sp/protocol/req"
)

func main() {
	ctx := context.Background()
	server, _ := rep.NewSocket()
	defer server.Close()
	server.Listen("tcp://127.0.0.1:5555")
	go func() {
		q, _ := server.Recv(ctx)                       // a request...
		server.Send(ctx, append([]byte("re: "), q...)) // ...answered to whoever sent it
	}()

	client, _ := req.NewSocket()
	defer client.Close()
	client.Dial("tcp://127.0.0.1:5555", sp.WithDialSync()) // fail fast if nobody listens
	client.Send(ctx, []byte("hello"))
	reply, _ := client.Recv(ctx)
	fmt.Printf("%s\n", reply) // re: hello
}
