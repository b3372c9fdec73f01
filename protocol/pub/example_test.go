package pub_test

import (
	"context"
	"fmt"
	"log"

	"github.com/spgo/sp/protocol/pub"
	"github.com/spgo/sp/protocol/sub"
)

// A publisher sends to every subscriber; each keeps only its topics.
func Example() {
	ctx := context.Background()

	publisher, err := pub.NewSocket()
	if err != nil {
		log.Fatal(err)
	}
	defer publisher.Close()
	if _, err := publisher.Listen("inproc://example-pubsub"); err != nil {
		log.Fatal(err)
	}

	subscriber, err := sub.NewSocket()
	if err != nil {
		log.Fatal(err)
	}
	defer subscriber.Close()
	if err := sub.Subscribe(subscriber, "weather."); err != nil {
		log.Fatal(err)
	}
	if err := subscriber.Dial("inproc://example-pubsub"); err != nil {
		log.Fatal(err)
	}
	// A publisher drops what it sends while nobody subscribes (the slow
	// joiner): wait for the subscriber to join first.
	if err := publisher.WaitPeers(ctx, 1); err != nil {
		log.Fatal(err)
	}

	for _, m := range []string{"weather.paris 21C", "sports.tennis 6-4", "weather.oslo 3C"} {
		if err := publisher.Send(ctx, []byte(m)); err != nil {
			log.Fatal(err)
		}
	}
	for range 2 {
		m, err := subscriber.Recv(ctx)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(string(m))
	}
	// Output:
	// weather.paris 21C
	// weather.oslo 3C
}
