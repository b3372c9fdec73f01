// Command pipeline shows push/pull: a ventilator hands out tasks over tcp to
// three workers, round-robin, and the workers push their results over ipc
// to one sink.
//
//	go run ./examples/pipeline
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spgo/sp"
	"github.com/spgo/sp/protocol/pull"
	"github.com/spgo/sp/protocol/push"
)

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "pipeline:", err)
		os.Exit(1)
	}
}

const workers, tasks = 3, 6

func run(w io.Writer) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	dir, err := os.MkdirTemp("", "sp-pipeline")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	// The sink collects results on an ipc socket file.
	sink, err := pull.NewSocket()
	if err != nil {
		return err
	}
	defer sink.Close()
	sinkURL := "ipc://" + filepath.Join(dir, "sink.sock")
	if _, err := sink.Listen(sinkURL); err != nil {
		return err
	}

	// The ventilator hands out tasks on tcp. We start each worker once the
	// one before has joined (WaitPeers), so that the round-robin order is
	// the workers' order.
	vent, err := push.NewSocket()
	if err != nil {
		return err
	}
	defer vent.Close()
	l, err := vent.Listen("tcp://127.0.0.1:0")
	if err != nil {
		return err
	}
	ventURL := l.URL() // with the port the system chose

	var wg sync.WaitGroup
	defer wg.Wait() // runs last: the workers end when their sockets close
	for id := range workers {
		in, err := pull.NewSocket()
		if err != nil {
			return err
		}
		defer in.Close()
		out, err := push.NewSocket()
		if err != nil {
			return err
		}
		defer out.Close()
		if err := out.Dial(sinkURL, sp.WithDialSync()); err != nil {
			return err
		}
		if err := in.Dial(ventURL, sp.WithDialSync()); err != nil {
			return err
		}
		if err := vent.WaitPeers(ctx, id+1); err != nil { // the ventilator knows this worker
			return err
		}
		wg.Add(1)
		go func() { // a worker: square each number it is given
			defer wg.Done()
			for {
				b, err := in.Recv(ctx)
				if err != nil {
					return // its socket closed
				}
				n, _ := strconv.Atoi(string(b))
				r := fmt.Sprintf("%d squared is %d (worker %d)", n, n*n, id)
				if out.Send(ctx, []byte(r)) != nil {
					return
				}
			}
		}()
	}

	// Send blocks only while no worker has room in its queue.
	for i := range tasks {
		if err := vent.Send(ctx, []byte(strconv.Itoa(i))); err != nil {
			return err
		}
	}
	// Results come back in any order: collect them all, then print them
	// sorted.
	var results []string
	for range tasks {
		b, err := sink.Recv(ctx)
		if err != nil {
			return err
		}
		results = append(results, string(b))
	}
	sort.Strings(results)
	fmt.Fprintln(w, strings.Join(results, "\n"))
	return nil
}
