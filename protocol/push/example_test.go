package push_test

import (
	"context"
	"fmt"
	"log"

	"github.com/spgo/sp/protocol/pull"
	"github.com/spgo/sp/protocol/push"
)

// A pipeline: the push socket hands out work, the pull socket takes it in
// order.
func Example() {
	ctx := context.Background()

	worker, err := pull.NewSocket()
	if err != nil {
		log.Fatal(err)
	}
	defer worker.Close()
	if _, err := worker.Listen("inproc://example-pipeline"); err != nil {
		log.Fatal(err)
	}

	boss, err := push.NewSocket()
	if err != nil {
		log.Fatal(err)
	}
	defer boss.Close()
	if err := boss.Dial("inproc://example-pipeline"); err != nil {
		log.Fatal(err)
	}

	for _, job := range []string{"wash", "dry", "fold"} {
		if err := boss.Send(ctx, []byte(job)); err != nil {
			log.Fatal(err)
		}
	}
	for range 3 {
		job, err := worker.Recv(ctx)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(string(job))
	}
	// Output:
	// wash
	// dry
	// fold
}
