package bus_test

import (
	"context"
	"fmt"
	"log"

	"github.com/spgo/sp"
	"github.com/spgo/sp/protocol/bus"
)

// Every member of a bus hears what another member connected to it says.
func Example() {
	ctx := context.Background()

	alice, err := bus.NewSocket()
	if err != nil {
		log.Fatal(err)
	}
	defer alice.Close()

	var others []sp.Socket
	for i := range 2 {
		s, err := bus.NewSocket()
		if err != nil {
			log.Fatal(err)
		}
		defer s.Close()
		url := fmt.Sprintf("inproc://example-bus-%d", i+1)
		if _, err := s.Listen(url); err != nil {
			log.Fatal(err)
		}
		// DialSync: alice's side of the connection is up when Dial
		// returns. A bus drops what it sends while no peer is there.
		if err := alice.Dial(url, sp.WithDialSync()); err != nil {
			log.Fatal(err)
		}
		others = append(others, s)
	}

	if err := alice.Send(ctx, []byte("hello, bus")); err != nil {
		log.Fatal(err)
	}
	for i, s := range others {
		m, err := s.Recv(ctx)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("member %d got: %s\n", i+1, m)
	}

	if err := others[0].Send(ctx, []byte("hi, alice")); err != nil {
		log.Fatal(err)
	}
	m, err := alice.Recv(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("alice got:", string(m))
	// Output:
	// member 1 got: hello, bus
	// member 2 got: hello, bus
	// alice got: hi, alice
}
