package pair_test

import (
	"context"
	"fmt"
	"log"

	"github.com/spgo/sp/protocol/pair"
)

// Two pair sockets talk both ways over one connection.
func Example() {
	ctx := context.Background()

	alice, err := pair.NewSocket()
	if err != nil {
		log.Fatal(err)
	}
	defer alice.Close()
	if _, err := alice.Listen("inproc://example-pair"); err != nil {
		log.Fatal(err)
	}

	bob, err := pair.NewSocket()
	if err != nil {
		log.Fatal(err)
	}
	defer bob.Close()
	if err := bob.Dial("inproc://example-pair"); err != nil {
		log.Fatal(err)
	}

	if err := bob.Send(ctx, []byte("hello, alice")); err != nil {
		log.Fatal(err)
	}
	msg, err := alice.Recv(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("alice got:", string(msg))

	if err := alice.Send(ctx, []byte("hello, bob")); err != nil {
		log.Fatal(err)
	}
	msg, err = bob.Recv(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("bob got:", string(msg))
	// Output:
	// alice got: hello, alice
	// bob got: hello, bob
}
