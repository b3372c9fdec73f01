// Command pubsub shows publish/subscribe: a publisher on tcp sends messages
// on several topics, and each subscriber receives only those whose body
// starts with a topic it subscribed to.
//
//	go run ./examples/pubsub
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spgo/sp"
	"github.com/spgo/sp/protocol/pub"
	"github.com/spgo/sp/protocol/sub"
)

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "pubsub:", err)
		os.Exit(1)
	}
}

// The subscribers, by the topic each one asks for. The empty topic matches
// every message.
var topics = []string{"weather.", "news.", ""}

func run(w io.Writer) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	p, err := pub.NewSocket()
	if err != nil {
		return err
	}
	defer p.Close()
	l, err := p.Listen("tcp://127.0.0.1:0")
	if err != nil {
		return err
	}
	url := l.URL() // with the port the system chose

	subs := make([]sp.Socket, len(topics))
	for i, topic := range topics {
		s, err := sub.NewSocket()
		if err != nil {
			return err
		}
		defer s.Close()
		// A new subscriber has no topic and receives nothing.
		if err := sub.Subscribe(s, topic); err != nil {
			return err
		}
		if err := s.Dial(url); err != nil { // connects in the background
			return err
		}
		subs[i] = s
	}
	// A publisher sends only to the subscribers connected when it sends
	// (the slow joiner): start once all are there.
	if err := p.WaitPeers(ctx, len(topics)); err != nil {
		return err
	}

	// Send never blocks: a subscriber that cannot keep up loses messages,
	// and the others do not wait for it. These few fit in every queue.
	for _, m := range []string{
		"weather.paris 21C",
		"news.sp 1.0 released",
		"sport.final 2-1",
		"weather.oslo -3C",
		"news.done", "weather.done", "sport.done",
	} {
		if err := p.Send(ctx, []byte(m)); err != nil {
			return err
		}
	}

	// Each subscriber reads, in the order they were published, the
	// messages it asked for, up to its topic's "done" (the catch-all
	// subscriber up to the last one, "sport.done").
	for i, s := range subs {
		last := topics[i] + "done"
		if topics[i] == "" {
			last = "sport.done"
		}
		for {
			b, err := s.Recv(ctx)
			if err != nil {
				return err
			}
			fmt.Fprintf(w, "subscriber %-10q got %q\n", topics[i], b)
			if string(b) == last {
				break
			}
		}
	}
	return nil
}
