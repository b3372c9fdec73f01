package pub_test

import (
	"context"
	"fmt"
	"log"

	"github.com/spgo/sp"
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
	// A publisher drops what it sends while nobody subscribes, so the
	// example waits for its subscriber to join.
	joined := make(chan struct{}, 1)
	publisher.SetPipeHook(func(ev sp.PipeEvent, _ sp.Pipe) bool {
		if ev == sp.PipeAdded {
			joined <- struct{}{}
		}
		return true
	})
	if _, err := publisher.Listen("inproc://example-pubsub"); err != nil {
		log.Fatal(err)
	}

	subscriber, err := sub.NewSocket()
	if err != nil {
		log.Fatal(err)
	}
	defer subscriber.Close()
	if err := sp.SetOption(subscriber, sub.SubscribeOption, []byte("weather.")); err != nil {
		log.Fatal(err)
	}
	if err := subscriber.Dial("inproc://example-pubsub"); err != nil {
		log.Fatal(err)
	}
	<-joined

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
