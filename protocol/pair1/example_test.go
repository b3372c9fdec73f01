package pair1_test

import (
	"context"
	"fmt"
	"log"

	"github.com/spgo/sp"
	"github.com/spgo/sp/protocol/pair1"
)

// A polyamorous pair1 socket answers each of its peers through the pipe
// its message came on.
func Example() {
	ctx := context.Background()

	server, err := pair1.NewPolySocket()
	if err != nil {
		log.Fatal(err)
	}
	defer server.Close()
	if _, err := server.Listen("inproc://example-pair1"); err != nil {
		log.Fatal(err)
	}

	for _, name := range []string{"alice", "bob"} {
		client, err := pair1.NewSocket()
		if err != nil {
			log.Fatal(err)
		}
		defer client.Close()
		if err := client.Dial("inproc://example-pair1", sp.WithDialSync()); err != nil {
			log.Fatal(err)
		}
		if err := client.Send(ctx, []byte(name)); err != nil {
			log.Fatal(err)
		}

		m, err := server.RecvMsg(ctx)
		if err != nil {
			log.Fatal(err)
		}
		m.Body = append([]byte("hello, "), m.Body...)
		if err := server.SendMsg(ctx, m); err != nil { // back through m.Pipe()
			log.Fatal(err)
		}

		reply, err := client.Recv(ctx)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(name, "got:", string(reply))
	}
	// Output:
	// alice got: hello, alice
	// bob got: hello, bob
}
