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
	"net"
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
	// A publisher sends only to the subscribers connected when it sends:
	// count them as they join, and start once all are there.
	joined := make(chan struct{}, len(topics))
	p.SetPipeHook(func(ev sp.PipeEvent, _ sp.Pipe) bool {
		if ev == sp.PipeAdded {
			joined <- struct{}{}
		}
		return true
	})
	l, err := p.NewListener("tcp://127.0.0.1:0")
	if err != nil {
		return err
	}
	if err := l.Listen(); err != nil {
		return err
	}
	url := fmt.Sprintf("tcp://127.0.0.1:%d", l.Addr().(*net.TCPAddr).Port)

	subs := make([]sp.Socket, len(topics))
	for i, topic := range topics {
		s, err := sub.NewSocket()
		if err != nil {
			return err
		}
		defer s.Close()
		// A new subscriber has no topic and receives nothing.
		if err := sp.SetOption(s, sub.SubscribeOption, []byte(topic)); err != nil {
			return err
		}
		if err := s.Dial(url, sp.WithDialSync()); err != nil {
			return err
		}
		subs[i] = s
	}
	for range topics {
		select {
		case <-joined:
		case <-ctx.Done():
			return ctx.Err()
		}
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
