// Command reqrep shows request/reply: a rep server answering over tcp with
// rep.Server, two requests at a time, and three req clients asking at the
// same time with req.Request.
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
	defer server.Close()
	// Port 0: the system picks a free port; read it back from the listener.
	l, err := server.Listen("tcp://127.0.0.1:0")
	if err != nil {
		return err
	}
	url := fmt.Sprintf("tcp://127.0.0.1:%d", l.Addr().(*net.TCPAddr).Port)

	// The server answers two requests at a time, each on a context of its
	// own, so each reply goes back to the client that asked.
	serveCtx, stop := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() {
		srv := rep.Server{Concurrency: 2, Handler: func(_ context.Context, q []byte) ([]byte, error) {
			return []byte(strings.ToUpper(string(q))), nil
		}}
		served <- srv.Serve(serveCtx, server)
	}()
	defer func() {
		stop()
		<-served // Serve returns once its handlers have
	}()

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
	fmt.Fprintf(w, "server: %d requests answered, 2 at a time\n", len(lines))
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
		a, err := req.Request(ctx, s, []byte(q)) // the reply to this request, and no other
		if err != nil {
			return err
		}
		got([]byte(q), a)
	}
	return nil
}
