// Command demo runs each SP pattern of sp over real sockets, tcp and ipc, in
// one process, and prints what moves:
//
//	go run ./examples/demo
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
	"time"

	"github.com/spgo/sp"
	"github.com/spgo/sp/protocol/pair"
	"github.com/spgo/sp/protocol/pub"
	"github.com/spgo/sp/protocol/pull"
	"github.com/spgo/sp/protocol/push"
	"github.com/spgo/sp/protocol/rep"
	"github.com/spgo/sp/protocol/req"
	"github.com/spgo/sp/protocol/sub"
)

func main() { run(os.Stdout) }

// out is where the demo prints.
var out io.Writer = os.Stdout

func run(w io.Writer) {
	out = w
	dir, err := os.MkdirTemp("", "sp-demo")
	check(err)
	defer os.RemoveAll(dir)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	for _, tr := range []string{"tcp", "ipc"} {
		n := 0
		addr := func() string {
			n++
			if tr == "tcp" {
				return "tcp://127.0.0.1:0"
			}
			return "ipc://" + filepath.Join(dir, fmt.Sprintf("demo%d.sock", n))
		}
		fmt.Fprintf(out, "== %s ==\n", tr)
		reqRep(ctx, addr())
		pubSub(ctx, addr())
		pipeline(ctx, addr())
		pairs(ctx, addr())
	}
}

// listen makes s listen on url and returns the address to dial, with the
// port the system chose for tcp port 0.
func listen(s sp.Socket, url string) string {
	l, err := s.NewListener(url)
	check(err)
	check(l.Listen())
	if a, ok := l.Addr().(*net.TCPAddr); ok {
		return fmt.Sprintf("tcp://127.0.0.1:%d", a.Port)
	}
	return url
}

func reqRep(ctx context.Context, url string) {
	server, err := rep.NewSocket()
	check(err)
	defer server.Close()
	url = listen(server, url)
	go func() {
		for {
			q, err := server.Recv(ctx)
			if err != nil {
				return
			}
			check(server.Send(ctx, []byte(strings.ToUpper(string(q)))))
		}
	}()
	client, err := req.NewSocket()
	check(err)
	defer client.Close()
	check(client.Dial(url, sp.WithDialSync()))
	for _, q := range []string{"hello", "world"} {
		check(client.Send(ctx, []byte(q)))
		a, err := client.Recv(ctx)
		check(err)
		fmt.Fprintf(out, "req/rep   request %q -> reply %q\n", q, a)
	}
}

func pubSub(ctx context.Context, url string) {
	p, err := pub.NewSocket()
	check(err)
	defer p.Close()
	url = listen(p, url)
	s, err := sub.NewSocket()
	check(err)
	defer s.Close()
	check(sp.SetOption(s, sub.SubscribeOption, []byte("news.")))
	check(s.Dial(url, sp.WithDialSync()))
	// A publisher sends only to subscribers already connected; repeat the
	// first message until the subscriber has one.
	got := make(chan []byte, 16)
	go func() {
		for {
			b, err := s.Recv(ctx)
			if err != nil {
				close(got)
				return
			}
			got <- b
		}
	}()
	for first := true; first; {
		check(p.Send(ctx, []byte("weather.sunny")))
		check(p.Send(ctx, []byte("news.ready")))
		select {
		case b := <-got:
			fmt.Fprintf(out, "pub/sub   subscriber to \"news.\" got %q\n", b)
			first = false
		case <-time.After(20 * time.Millisecond):
		}
	}
	check(p.Send(ctx, []byte("weather.rain")))
	check(p.Send(ctx, []byte("news.headline")))
	for b := range got {
		if string(b) == "news.headline" {
			fmt.Fprintf(out, "pub/sub   subscriber to \"news.\" got %q (and no weather)\n", b)
			return
		}
	}
}

func pipeline(ctx context.Context, url string) {
	p, err := push.NewSocket()
	check(err)
	defer p.Close()
	joined := make(chan struct{}, 2)
	p.SetPipeHook(func(ev sp.PipeEvent, _ sp.Pipe) bool {
		if ev == sp.PipeAdded {
			joined <- struct{}{}
		}
		return true
	})
	url = listen(p, url)
	workers := make([]sp.Socket, 2)
	for i := range workers {
		w, err := pull.NewSocket()
		check(err)
		defer w.Close()
		check(w.Dial(url, sp.WithDialSync()))
		workers[i] = w
		<-joined // the pusher knows this worker: tasks are shared fairly
	}
	for i := 0; i < 4; i++ {
		check(p.Send(ctx, []byte(fmt.Sprintf("task-%d", i))))
	}
	// Each worker takes what came to it, until nothing more comes for a
	// moment, and says how many that was.
	var done []string
	for i, w := range workers {
		n := 0
		for {
			rctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
			b, err := w.Recv(rctx)
			cancel()
			if errors.Is(err, sp.ErrTimeout) {
				break
			}
			check(err)
			done = append(done, string(b))
			n++
		}
		fmt.Fprintf(out, "push/pull worker %d got %d of 4 tasks\n", i, n)
	}
	sort.Strings(done)
	fmt.Fprintf(out, "push/pull all done: %s\n", strings.Join(done, " "))
}

func pairs(ctx context.Context, url string) {
	a, err := pair.NewSocket()
	check(err)
	defer a.Close()
	url = listen(a, url)
	b, err := pair.NewSocket()
	check(err)
	defer b.Close()
	check(b.Dial(url, sp.WithDialSync()))
	check(b.Send(ctx, []byte("ping")))
	m, err := a.Recv(ctx)
	check(err)
	check(a.Send(ctx, []byte("pong")))
	r, err := b.Recv(ctx)
	check(err)
	fmt.Fprintf(out, "pair      %q one way, %q the other\n", m, r)
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}
