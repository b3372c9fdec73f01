// Command device shows a request/reply device: a broker between clients on
// tcp and a server on ipc. Two raw sockets, a rep facing the clients and a
// req facing the server, pass each request on and each reply back;
// the backtrace in each message's header finds the way back to its client.
//
//	go run ./examples/device
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
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
		fmt.Fprintln(os.Stderr, "device:", err)
		os.Exit(1)
	}
}

func run(w io.Writer) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	dir, err := os.MkdirTemp("", "sp-device")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	var wg sync.WaitGroup
	defer wg.Wait() // runs last, once the sockets have closed

	// The device's two raw sockets: raw sockets keep the protocol header
	// (the backtrace) in Message.Header instead of acting on it.
	front, err := rep.NewRawSocket()
	if err != nil {
		return err
	}
	defer front.Close()
	fl, err := front.NewListener("tcp://127.0.0.1:0")
	if err != nil {
		return err
	}
	if err := fl.Listen(); err != nil {
		return err
	}
	frontURL := fmt.Sprintf("tcp://127.0.0.1:%d", fl.Addr().(*net.TCPAddr).Port)
	back, err := req.NewRawSocket()
	if err != nil {
		return err
	}
	defer back.Close()
	backURL := "ipc://" + filepath.Join(dir, "back.sock")
	if _, err := back.Listen(backURL); err != nil {
		return err
	}
	devCtx, stopDevice := context.WithCancel(ctx)
	defer stopDevice()
	wg.Add(1)
	go func() {
		defer wg.Done()
		// Device blocks until devCtx ends or a socket closes.
		if err := sp.Device(devCtx, front, back); err != nil && !errors.Is(err, context.Canceled) {
			fmt.Fprintln(os.Stderr, "device:", err)
		}
	}()

	// The server is an ordinary rep socket: it cannot tell the device from
	// a client.
	server, err := rep.NewSocket()
	if err != nil {
		return err
	}
	defer server.Close()
	if err := server.Dial(backURL, sp.WithDialSync()); err != nil {
		return err
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			q, err := server.Recv(ctx)
			if err != nil {
				return // closed
			}
			if server.Send(ctx, []byte(strings.ToUpper(string(q)))) != nil {
				return
			}
		}
	}()

	// Three clients, asking at once, through the device.
	lines := make([]string, 3)
	errs := make([]error, 3)
	var cw sync.WaitGroup
	for i := range lines {
		cw.Add(1)
		go func() {
			defer cw.Done()
			lines[i], errs[i] = ask(ctx, frontURL, fmt.Sprintf("request %d", i))
		}()
	}
	cw.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	sort.Strings(lines)
	fmt.Fprintln(w, strings.Join(lines, "\n"))
	return nil
}

// ask sends q from a new req socket and returns what happened.
func ask(ctx context.Context, url, q string) (string, error) {
	c, err := req.NewSocket()
	if err != nil {
		return "", err
	}
	defer c.Close()
	if err := c.Dial(url, sp.WithDialSync()); err != nil {
		return "", err
	}
	if err := c.Send(ctx, []byte(q)); err != nil {
		return "", err
	}
	a, err := c.Recv(ctx)
	return fmt.Sprintf("%q -> tcp -> device -> ipc -> server -> %q", q, a), err
}
