// Command pair shows pair v1 (pair1) in polyamorous mode: one server socket
// talks with two clients over ipc, answering each message to the client it
// came from, which a plain (monogamous) pair socket cannot do.
//
//	go run ./examples/pair
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/spgo/sp"
	"github.com/spgo/sp/protocol/pair1"
)

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "pair:", err)
		os.Exit(1)
	}
}

var names = []string{"ada", "ben"}

func run(w io.Writer) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	dir, err := os.MkdirTemp("", "sp-pair")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	url := "ipc://" + filepath.Join(dir, "pair.sock")

	// A polyamorous socket keeps many peers; a monogamous one (NewSocket)
	// would refuse the second client.
	server, err := pair1.NewPolySocket()
	if err != nil {
		return err
	}
	defer server.Close()
	joined := make(chan struct{}, len(names))
	server.SetPipeHook(func(ev sp.PipeEvent, _ sp.Pipe) bool {
		if ev == sp.PipeAdded {
			joined <- struct{}{}
		}
		return true
	})
	if _, err := server.Listen(url); err != nil {
		return err
	}

	// The clients are ordinary monogamous pair1 sockets. They join one
	// after the other, so ada is the server's oldest peer.
	clients := make([]sp.Socket, len(names))
	for i := range names {
		c, err := pair1.NewSocket()
		if err != nil {
			return err
		}
		defer c.Close()
		if err := c.Dial(url, sp.WithDialSync()); err != nil {
			return err
		}
		select {
		case <-joined:
		case <-ctx.Done():
			return ctx.Err()
		}
		clients[i] = c
	}

	for i, c := range clients {
		if err := c.Send(ctx, []byte("hi, I am "+names[i])); err != nil {
			return err
		}
	}
	// A received message knows its pipe; sent back, it goes to that peer
	// only.
	var got []string
	for range clients {
		m, err := server.RecvMsg(ctx)
		if err != nil {
			return err
		}
		got = append(got, fmt.Sprintf("server got %q", m.Body))
		name := strings.TrimPrefix(string(m.Body), "hi, I am ")
		m.Body = append(m.Body[:0], "welcome, "+name...)
		if err := server.SendMsg(ctx, m); err != nil { // to m.Pipe()
			return err
		}
	}
	sort.Strings(got) // the clients sent at once: any order
	fmt.Fprintln(w, strings.Join(got, "\n"))

	// A message without a pipe goes to the oldest peer.
	if err := server.Send(ctx, []byte("to my oldest peer")); err != nil {
		return err
	}
	for i, c := range clients {
		b, err := c.Recv(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "%s got %q\n", names[i], b)
	}
	b, err := clients[0].Recv(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "%s got %q\n", names[0], b)
	return nil
}
