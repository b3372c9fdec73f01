package star_test

import (
	"context"
	"fmt"
	"log"

	"github.com/spgo/sp"
	"github.com/spgo/sp/protocol/star"
)

// A hub forwards what one leaf says to the other leaves.
func Example() {
	ctx := context.Background()

	hub, err := star.NewSocket()
	if err != nil {
		log.Fatal(err)
	}
	defer hub.Close()

	var leaves []sp.Socket
	for i := range 2 {
		leaf, err := star.NewSocket()
		if err != nil {
			log.Fatal(err)
		}
		defer leaf.Close()
		url := fmt.Sprintf("inproc://example-star-%d", i+1)
		if _, err := leaf.Listen(url); err != nil {
			log.Fatal(err)
		}
		if err := hub.Dial(url, sp.WithDialSync()); err != nil {
			log.Fatal(err)
		}
		leaves = append(leaves, leaf)
	}

	// Once a leaf has heard from the hub, its side of the link is up too.
	if err := hub.Send(ctx, []byte("welcome")); err != nil {
		log.Fatal(err)
	}
	for i, leaf := range leaves {
		m, err := leaf.Recv(ctx)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("leaf %d got: %s\n", i+1, m)
	}

	if err := leaves[0].Send(ctx, []byte("hello from leaf 1")); err != nil {
		log.Fatal(err)
	}
	for _, who := range []struct {
		name string
		s    sp.Socket
	}{{"hub", hub}, {"leaf 2", leaves[1]}} {
		m, err := who.s.Recv(ctx)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s got: %s\n", who.name, m)
	}
	// Output:
	// leaf 1 got: welcome
	// leaf 2 got: welcome
	// hub got: hello from leaf 1
	// leaf 2 got: hello from leaf 1
}
