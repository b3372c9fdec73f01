//go:build linux

package fault_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spgo/sp"
	"github.com/spgo/sp/protocol/pub"
	"github.com/spgo/sp/protocol/pull"
	"github.com/spgo/sp/protocol/push"
	"github.com/spgo/sp/protocol/rep"
	"github.com/spgo/sp/protocol/req"
	"github.com/spgo/sp/protocol/sub"
)

const helperEnv = "SP_FAULT_HELPER"

// say prints one line to the test, unbuffered: a killed helper has
// reported everything it printed.
func say(format string, args ...any) {
	fmt.Fprintf(os.Stdout, format+"\n", args...)
}

// running returns a context that ends when the test stops the client
// (closes its stdin: see proc.stop) or after SECONDS, whichever is first:
// the test lets a client run until it has seen it recover from the fault,
// however long the fault took to apply and undo on a loaded machine.
func running(secs string) (context.Context, context.CancelFunc) {
	n, err := strconv.Atoi(secs)
	check(err)
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(n)*time.Second)
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		cancel()
	}()
	return ctx, cancel
}

func check(err error) {
	if err != nil {
		say("error %v", err)
		os.Exit(2)
	}
}

// TestHelperProcess is not a test: it is a side of a fault test, run by the
// test binary re-executed in a network namespace with SP_FAULT_HELPER=1, as
// `-- role args...`.
func TestHelperProcess(t *testing.T) {
	if os.Getenv(helperEnv) != "1" {
		t.Skip("a helper process of the fault tests")
	}
	args := os.Args
	for i, a := range args {
		if a == "--" {
			args = args[i+1:]
			break
		}
	}
	roles := map[string]func([]string){
		"rep": repServer, "req": reqClient, "pub": pubServer, "sub": subClient, "pull": pullServer, "push": pushClient,
	}
	roles[args[0]](args[1:])
	os.Exit(0)
}

var opts = []sp.EndpointOption{
	sp.With(sp.ReconnectMin, 50*time.Millisecond),
	sp.With(sp.ReconnectMax, 300*time.Millisecond),
}

func listen(s sp.Socket, url string) {
	_, err := s.Listen(url)
	check(err)
	say("ready")
}

func dial(s sp.Socket, url string) {
	check(s.Dial(url, append(opts, sp.WithDialSync())...))
}

// repServer answers every request: rep URL.
func repServer(args []string) {
	s, _ := rep.NewSocket()
	listen(s, args[0])
	for ctx := context.Background(); ; {
		b, err := s.Recv(ctx)
		check(err)
		_ = s.Send(ctx, b)
	}
}

// reqClient sends requests one after the other until stopped (see
// running), each waiting up to 25 s for its reply: req URL SECONDS. It
// prints "ok N at UNIXMS" every 250 ms, then "result sent=N replied=M
// failed=F resends=R".
func reqClient(args []string) {
	s, _ := req.NewSocket()
	check(sp.SetOption(s, req.ResendTime, 500*time.Millisecond))
	dial(s, args[0])
	say("ready")
	run, stopRun := running(args[1])
	defer stopRun()
	var replied atomic.Int64
	stop := make(chan struct{})
	ticked := make(chan struct{})
	go func() {
		defer close(ticked)
		for tick := time.NewTicker(250 * time.Millisecond); ; {
			select {
			case <-tick.C:
				say("ok %d at %d", replied.Load(), time.Now().UnixMilli())
			case <-stop:
				tick.Stop()
				return
			}
		}
	}()
	sent, failed := 0, 0
	for run.Err() == nil {
		sent++
		q := fmt.Sprintf("request %d", sent)
		ctx, cancel := context.WithTimeout(context.Background(), 25*time.Second)
		err := s.Send(ctx, []byte(q))
		var b []byte
		if err == nil {
			b, err = s.Recv(ctx)
		}
		cancel()
		switch {
		case err != nil:
			failed++
			say("fail %s: %v", q, err)
		case string(b) != q:
			failed++
			say("fail %s: reply %q", q, b)
		default:
			replied.Add(1)
		}
		time.Sleep(5 * time.Millisecond)
	}
	close(stop)
	<-ticked
	say("result sent=%d replied=%d failed=%d resends=%d", sent, replied.Load(), failed, s.Stats().Counters["resends"])
}

// burstQueue is the pub/sub queues' length in the fault tests: pub and sub
// drop what their queues have no room for, by design, and a link that stalls
// for seconds (TCP backing off its retransmits under loss) delivers what it
// held in one burst, which the sub's reader queues faster than a consumer
// takes it. Queues that hold the whole run leave nothing to drop by design,
// so that what the test finds missing was lost.
const burstQueue = 4096

// pubServer publishes numbered messages every 5 ms: pub URL. Whenever its
// count of messages dropped for a full queue grows, it prints "dropped N
// at UNIXMS".
func pubServer(args []string) {
	s, _ := pub.NewSocket()
	check(sp.SetOption(s, sp.SendQueueLen, burstQueue))
	listen(s, args[0])
	var dropped uint64
	for n := 1; ; n++ {
		check(s.Send(context.Background(), []byte(strconv.Itoa(n))))
		if d := s.Stats().Drops.QueueFull; d != dropped {
			dropped = d
			say("dropped %d at %d", d, time.Now().UnixMilli())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// subClient receives until stopped (see running): sub URL SECONDS. It
// prints "recv N at UNIXMS" every 250 ms, then "result recv=N gaps=G
// missing=M restarts=R dropped=D", where a gap is a missing run of numbers
// (M numbers in all), a restart a number lower than the last (a new
// publisher), and D the messages its receive queue had no room for.
func subClient(args []string) {
	s, _ := sub.NewSocket()
	check(sp.SetOption(s, sub.SubscribeOption, []byte{}))
	check(sp.SetOption(s, sp.RecvQueueLen, burstQueue))
	dial(s, args[0])
	say("ready")
	ctx, cancel := running(args[1])
	defer cancel()
	var recv atomic.Int64
	go func() {
		for ctx.Err() == nil {
			time.Sleep(250 * time.Millisecond)
			say("recv %d at %d", recv.Load(), time.Now().UnixMilli())
		}
	}()
	last, gaps, missing, restarts := 0, 0, 0, 0
	for {
		b, err := s.Recv(ctx)
		if err != nil {
			if ctx.Err() == nil {
				check(err)
			}
			break
		}
		n, _ := strconv.Atoi(string(b))
		switch {
		case n <= last:
			restarts++
		case n > last+1 && last > 0:
			gaps++
			missing += n - last - 1
		}
		last = n
		recv.Add(1)
	}
	say("result recv=%d gaps=%d missing=%d restarts=%d dropped=%d",
		recv.Load(), gaps, missing, restarts, s.Stats().Drops.QueueFull)
}

// pullServer prints "got N" for every message: pull URL.
func pullServer(args []string) {
	s, _ := pull.NewSocket()
	listen(s, args[0])
	for {
		b, err := s.Recv(context.Background())
		check(err)
		say("got %s", b)
	}
}

// pushClient sends numbered messages, one every 2 ms, until stopped (see
// running), to the pullers at the URLs: push SECONDS URL... When a pipe
// leaves, it prints "removed after=N", N being the last message whose Send
// had returned. At the end, once its queues are empty, it prints "result
// sent=N".
func pushClient(args []string) {
	s, _ := push.NewSocket()
	var sent atomic.Int64
	s.SetPipeHook(func(ev sp.PipeEvent, _ sp.Pipe) bool {
		if ev == sp.PipeRemoved {
			say("removed after=%d", sent.Load())
		}
		return true
	})
	for _, u := range args[1:] {
		dial(s, u)
	}
	say("ready")
	run, stopRun := running(args[0])
	defer stopRun()
	for n := int64(1); run.Err() == nil; n++ {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		err := s.Send(ctx, []byte(strconv.FormatInt(n, 10)))
		cancel()
		if errors.Is(err, sp.ErrTimeout) {
			say("error send %d timed out", n)
			os.Exit(2)
		}
		check(err)
		sent.Store(n)
		time.Sleep(2 * time.Millisecond)
	}
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); {
		queued := 0
		for _, p := range s.Stats().PipeList {
			queued += p.SendQueue
		}
		if queued == 0 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	say("result sent=%d", sent.Load())
	time.Sleep(time.Hour) // the test reads the pullers, then kills us
}
