package sub_test

import (
	"context"
	"fmt"
	"log"

	"github.com/spgo/sp/protocol/pub"
	"github.com/spgo/sp/protocol/sub"
)

// A subscriber keeps the messages whose body starts with one of its topics,
// given as strings or byte slices.
func Example() {
	ctx := context.Background()

	publisher, err := pub.NewSocket()
	if err != nil {
		log.Fatal(err)
	}
	defer publisher.Close()
	if _, err := publisher.Listen("inproc://example-sub"); err != nil {
		log.Fatal(err)
	}

	subscriber, err := sub.NewSocket()
	if err != nil {
		log.Fatal(err)
	}
	defer subscriber.Close()
	if err := sub.Subscribe(subscriber, "alerts."); err != nil {
		log.Fatal(err)
	}
	if err := sub.Subscribe(subscriber, []byte("metrics.cpu")); err != nil {
		log.Fatal(err)
	}
	if err := subscriber.DialContext(ctx, "inproc://example-sub"); err != nil {
		log.Fatal(err)
	}
	// The publisher sends only to subscribers already connected: wait.
	if err := publisher.WaitPeers(ctx, 1); err != nil {
		log.Fatal(err)
	}

	for _, m := range []string{"alerts.disk full", "metrics.mem 71%", "metrics.cpu 93%", "logs.gc done"} {
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
	// alerts.disk full
	// metrics.cpu 93%
}
