// Command star shows mangos' star protocol: a hub on tcp and three leaves
// connected only to the hub. Whatever a member sends reaches every other
// member exactly once, because the hub forwards what it receives.
//
//	go run ./examples/star
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"

	"github.com/spgo/sp"
	"github.com/spgo/sp/protocol/star"
)

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "star:", err)
		os.Exit(1)
	}
}

var names = []string{"hub", "leaf1", "leaf2", "leaf3"}

func run(w io.Writer) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	hub, err := star.NewSocket()
	if err != nil {
		return err
	}
	defer hub.Close()
	// The hub forwards only to the leaves connected at the time: wait
	// until all have joined it.
	joined := make(chan struct{}, len(names))
	hub.SetPipeHook(func(ev sp.PipeEvent, _ sp.Pipe) bool {
		if ev == sp.PipeAdded {
			joined <- struct{}{}
		}
		return true
	})
	l, err := hub.NewListener("tcp://127.0.0.1:0")
	if err != nil {
		return err
	}
	if err := l.Listen(); err != nil {
		return err
	}
	url := fmt.Sprintf("tcp://127.0.0.1:%d", l.Addr().(*net.TCPAddr).Port)

	members := []sp.Socket{hub}
	for range names[1:] {
		leaf, err := star.NewSocket()
		if err != nil {
			return err
		}
		defer leaf.Close()
		// With DialSync, Dial returns once the leaf has its pipe to
		// the hub.
		if err := leaf.Dial(url, sp.WithDialSync()); err != nil {
			return err
		}
		members = append(members, leaf)
	}
	for range names[1:] {
		select {
		case <-joined:
		case <-ctx.Done():
			return ctx.Err()
		}
	}

	// One member speaks at a time; every other one hears it: the hub
	// directly from a leaf, the other leaves through the hub.
	for _, from := range []int{1, 0, 3} {
		msg := "hello from " + names[from]
		if err := members[from].Send(ctx, []byte(msg)); err != nil {
			return err
		}
		var heard []string
		for i, m := range members {
			if i == from {
				continue
			}
			b, err := m.Recv(ctx)
			if err != nil {
				return err
			}
			if string(b) == msg {
				heard = append(heard, names[i])
			}
		}
		fmt.Fprintf(w, "%q heard by %s\n", msg, strings.Join(heard, ", "))
	}
	// In a tree, nothing arrives twice: every receive queue is empty.
	for i, m := range members {
		short, stop := context.WithTimeout(ctx, 50*time.Millisecond)
		b, err := m.Recv(short)
		stop()
		if !errors.Is(err, sp.ErrTimeout) {
			return fmt.Errorf("%s: got %q, %v; want nothing", names[i], b, err)
		}
	}
	fmt.Fprintln(w, "nobody heard anything twice")
	return nil
}
