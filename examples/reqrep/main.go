// Command reqrep shows request/reply: a rep server answering over tcp with
// two contexts, each serving requests in its own goroutine, and three req
// clients asking at the same time.
//
//	go run ./examples/reqrep
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/spgo/sp"
	"github.com/spgo/sp/protocol/rep"
	"github.com/spgo/sp/protocol/req"
)

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "reqrep:", err)
		os.Exit(1)
	}
}

func run(w io.Writer) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	server, err := rep.NewSocket()
	if err != nil {
		return err
	}
	// Port 0: the system picks a free port; read it back from the listener.
	l, err := server.NewListener("tcp://127.0.0.1:0")
	if err != nil {
		return err
	}
	if err := l.Listen(); err != nil {
		return err
	}
	url := fmt.Sprintf("tcp://127.0.0.1:%d", l.Addr().(*net.TCPAddr).Port)

	// Each context has its own "request to answer", so two goroutines can
	// serve at once; each reply goes back to the client that asked.
	var served sync.WaitGroup
	defer served.Wait() // after server.Close (deferred below) ends them
	defer server.Close()
	for range 2 {
		c, err := server.OpenContext()
		if err != nil {
			return err
		}
		served.Add(1)
		go func() {
			defer served.Done()
			for {
				q, err := c.Recv(ctx)
				if err != nil {
					return // the socket closed
				}
				if err := c.Send(ctx, []byte(strings.ToUpper(string(q)))); err != nil {
					return
				}
			}
		}()
	}

	// Three clients, each with two requests, all at once.
	var (
		mu    sync.Mutex
		lines []string
		errs  []error
		wg    sync.WaitGroup
	)
	for i, name := range []string{"ann", "bob", "cyd"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := client(ctx, url, name, func(q, a []byte) {
				mu.Lock()
				lines = append(lines, fmt.Sprintf("client %d: %q -> %q", i, q, a))
				mu.Unlock()
			})
			mu.Lock()
			errs = append(errs, err)
			mu.Unlock()
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	sort.Strings(lines) // replies arrive in any order; print them in one
	for _, s := range lines {
		fmt.Fprintln(w, s)
	}
	fmt.Fprintf(w, "server: %d requests answered by 2 contexts\n", len(lines))
	return nil
}

// client sends two requests in turn from its own req socket, calling got
// with each request and its reply.
func client(ctx context.Context, url, name string, got func(q, a []byte)) error {
	s, err := req.NewSocket()
	if err != nil {
		return err
	}
	defer s.Close()
	// DialSync: fail now, rather than retry in the background, if nobody
	// listens.
	if err := s.Dial(url, sp.WithDialSync()); err != nil {
		return err
	}
	for _, q := range []string{name + ": hello", name + ": thanks"} {
		if err := s.Send(ctx, []byte(q)); err != nil {
			return err
		}
		a, err := s.Recv(ctx) // the reply to this request, and no other
		if err != nil {
			return err
		}
		got([]byte(q), a)
	}
	return nil
}
