package pull_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/spgo/sp"
	"github.com/spgo/sp/protocol/pull"
	"github.com/spgo/sp/protocol/push"
)

// A worker pulls every job a producer pushed, even though the producer
// shut down right after its last Send: Shutdown writes out what Send
// accepted before it closes (Close would drop what is still queued).
func Example() {
	ctx := context.Background()

	worker, err := pull.NewSocket()
	if err != nil {
		log.Fatal(err)
	}
	defer worker.Close()
	l, err := worker.Listen("tcp://127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}

	producer, err := push.NewSocket()
	if err != nil {
		log.Fatal(err)
	}
	if err := producer.DialContext(ctx, l.URL()); err != nil {
		log.Fatal(err)
	}
	const jobs = 1000
	shut := make(chan error, 1)
	go func() {
		for i := range jobs {
			if err := producer.Send(ctx, fmt.Appendf(nil, "job %d", i)); err != nil {
				log.Fatal(err)
			}
		}
		shut <- producer.Shutdown(ctx) // returns once the worker has it all
	}()

	n := 0
	for {
		_, err := worker.Recv(ctx)
		if err != nil {
			log.Fatal(err)
		}
		if n++; n == jobs {
			break
		}
	}
	fmt.Println("jobs pulled:", n)
	if err := <-shut; err != nil {
		log.Fatal(err)
	}
	if err := producer.Send(ctx, []byte("late")); errors.Is(err, sp.ErrClosed) {
		fmt.Println("the producer is closed")
	}
	// Output:
	// jobs pulled: 1000
	// the producer is closed
}
