// Command bus shows the bus pattern: three nodes, connected each to each over
// tcp, each sending one message that the two others hear.
//
// A bus member does not pass on what it hears, so every member must be
// connected to every other (or through a device, or use package star).
//
//	go run ./examples/bus
package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/spgo/sp"
	"github.com/spgo/sp/protocol/bus"
)

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "bus:", err)
		os.Exit(1)
	}
}

var names = []string{"north", "east", "west"}

func run(w io.Writer) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	nodes := make([]sp.Socket, len(names))
	urls := make([]string, len(names))
	// Each node counts the peers that join it: a bus message goes only to
	// the peers connected when it is sent.
	joined := make([]chan struct{}, len(names))
	for i := range names {
		n, err := bus.NewSocket()
		if err != nil {
			return err
		}
		defer n.Close()
		joined[i] = make(chan struct{}, len(names))
		n.SetPipeHook(func(ev sp.PipeEvent, _ sp.Pipe) bool {
			if ev == sp.PipeAdded {
				joined[i] <- struct{}{}
			}
			return true
		})
		l, err := n.NewListener("tcp://127.0.0.1:0")
		if err != nil {
			return err
		}
		if err := l.Listen(); err != nil {
			return err
		}
		nodes[i] = n
		urls[i] = fmt.Sprintf("tcp://127.0.0.1:%d", l.Addr().(*net.TCPAddr).Port)
	}
	// A full mesh: each node dials the nodes after it. One connection per
	// pair is enough; messages flow both ways on it.
	for i, n := range nodes {
		for _, u := range urls[i+1:] {
			if err := n.Dial(u, sp.WithDialSync()); err != nil {
				return err
			}
		}
	}
	for i := range nodes {
		for range len(nodes) - 1 {
			select {
			case <-joined[i]:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}

	// Send never blocks; each node's message goes to both its peers.
	for i, n := range nodes {
		if err := n.Send(ctx, []byte("hello from "+names[i])); err != nil {
			return err
		}
	}
	for i, n := range nodes {
		var heard []string
		for range len(nodes) - 1 {
			b, err := n.Recv(ctx)
			if err != nil {
				return err
			}
			heard = append(heard, fmt.Sprintf("%q", b))
		}
		sort.Strings(heard) // from two peers at once: in any order
		fmt.Fprintf(w, "%-5s heard %s\n", names[i], strings.Join(heard, ", "))
	}
	return nil
}
