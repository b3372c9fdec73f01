package pub_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/sptest"
	"github.com/spgo/sp/protocol/pub"
	"github.com/spgo/sp/protocol/sub"
)

// BenchmarkFanout is the fan-out goal of issue #6: one pub socket over tcp
// sends 64 B messages to SP_FANOUT (default 1000) subscribers, all in this
// process and all subscribed to everything, and reports the messages
// delivered to them all per second:
//
//	go test -run XXX -bench Fanout ./protocol/pub
//	SP_FANOUT=1000 go test -run XXX -bench Fanout -benchtime 20000x ./protocol/pub
//
// Each op publishes one message. The subscribers are all connected (the pub
// socket has SP_FANOUT pipes) and have each received a warm-up message
// before the timer starts. A pub socket drops a message for a subscriber
// whose queue is full, so two ways of publishing are measured:
//
//	unpaced  publish as fast as Send returns; slow subscribers lose messages
//	paced    publish at most 64 messages ahead of the slowest subscriber,
//	         which keeps every queue under its 128 messages: nothing drops
//
// and each reports
//
//	sent-msg/s       messages published per second (ns/op is its inverse)
//	delivered-msg/s  messages received, summed over the subscribers, per
//	                 second from the first Send to the last delivery
//	drop-frac        1 - delivered / (sent × subscribers)
//	subs             subscribers
//
// and logs where the drops happened (the pub's send queues, the subs'
// receive queues).
func BenchmarkFanout(b *testing.B) {
	n := 1000
	if v, err := strconv.Atoi(os.Getenv("SP_FANOUT")); err == nil && v > 0 {
		n = v
	}
	b.Run("unpaced", func(b *testing.B) { benchFanout(b, n, 0) })
	b.Run("paced", func(b *testing.B) { benchFanout(b, n, 64) })
}

// fanoutSize is the size of the measured messages; warm-up messages are of
// another size, and not counted.
const fanoutSize = 64

// subscriber is one sub socket and what it received.
type subscriber struct {
	s    sp.Socket
	got  atomic.Int64 // measured messages received
	warm atomic.Int64 // warm-up messages received
	_    [32]byte     // 64 bytes: its counters on a cache line of their own
}

// fanout is a pub socket and its subscribers.
type fanout struct {
	pub    sp.Socket
	subs   []*subscriber
	warmed atomic.Int64 // subscribers with a warm-up message
	wg     sync.WaitGroup
}

func benchFanout(b *testing.B, n, window int) {
	f := newFanout(b, n)
	defer f.close()
	ctx := context.Background()
	f.warmUp(b)
	pubDrops := f.pub.Stats().Drops.QueueFull
	subDrops := f.subDrops()
	body := make([]byte, fanoutSize)

	b.ReportAllocs()
	b.SetBytes(fanoutSize)
	sent := 0
	start := time.Now()
	for b.Loop() {
		if window > 0 && sent%window == 0 {
			f.waitFor(b, int64(sent-window))
		}
		m := sp.NewMessage(fanoutSize)
		m.Body = append(m.Body, body...)
		if err := f.pub.SendMsg(ctx, m); err != nil {
			b.Fatal(err)
		}
		sent++
	}
	sending := time.Since(start)
	b.StopTimer()
	delivered, last := f.drain(int64(sent) * int64(n))

	offered := float64(sent) * float64(n)
	b.ReportMetric(float64(sent)/sending.Seconds(), "sent-msg/s")
	b.ReportMetric(float64(delivered)/last.Sub(start).Seconds(), "delivered-msg/s")
	b.ReportMetric(1-float64(delivered)/offered, "drop-frac")
	b.ReportMetric(float64(n), "subs")
	b.Logf("%d subscribers, %d sent, %d delivered of %.0f; dropped by pub %d, by subs %d",
		n, sent, delivered, offered, f.pub.Stats().Drops.QueueFull-pubDrops, f.subDrops()-subDrops)
	if window > 0 && delivered != int64(offered) {
		b.Fatalf("paced: got %d delivered, want %.0f", delivered, offered)
	}
}

// newFanout connects n subscribers over tcp to a new pub socket and starts
// their receivers.
func newFanout(b *testing.B, n int) *fanout {
	p, err := pub.NewSocket()
	if err != nil {
		b.Fatal(err)
	}
	f := &fanout{pub: p}
	pipes := sptest.CountPipes(p, nil)
	l, err := p.NewListener("tcp://127.0.0.1:0")
	if err == nil {
		err = l.Listen()
	}
	if err != nil {
		f.close()
		b.Fatal(err)
	}
	url := fmt.Sprintf("tcp://%s", l.Addr())

	f.subs = make([]*subscriber, n)
	var next atomic.Int64
	errc := make(chan error, 32)
	for range cap(errc) { // dial 32 at a time
		go func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					errc <- nil
					return
				}
				s, err := sub.NewSocket()
				if err != nil {
					errc <- err
					return
				}
				f.subs[i] = &subscriber{s: s}
				if err := sp.SetOption(s, sub.SubscribeOption, []byte{}); err != nil {
					errc <- err
					return
				}
				if err := s.Dial(url, sp.WithDialSync()); err != nil {
					errc <- fmt.Errorf("subscriber %d: %w", i, err)
					return
				}
			}
		}()
	}
	var failed error
	for range cap(errc) {
		if err := <-errc; err != nil && failed == nil {
			failed = err
		}
	}
	if failed != nil {
		f.close()
		b.Fatal(failed)
	}
	for _, s := range f.subs {
		f.wg.Add(1)
		go f.receive(s)
	}
	deadline := time.Now().Add(30 * time.Second)
	for pipes.Live() != n {
		if time.Now().After(deadline) {
			f.close()
			b.Fatalf("got %d pipes on the pub socket, want %d", pipes.Live(), n)
		}
		time.Sleep(time.Millisecond)
	}
	return f
}

// receive counts what s receives, until its socket closes.
func (f *fanout) receive(s *subscriber) {
	defer f.wg.Done()
	ctx := context.Background()
	for {
		m, err := s.s.RecvMsg(ctx)
		if err != nil {
			return
		}
		if len(m.Body) == fanoutSize {
			s.got.Add(1)
		} else if s.warm.Add(1) == 1 {
			f.warmed.Add(1)
		}
		m.Free()
	}
}

// warmUp publishes a warm-up message every 5 ms until every subscriber has
// received one, so that every path is open end to end before the timer
// starts, then waits until every subscriber has received them all (none is
// dropped at that pace), so that none is left in a queue.
func (f *fanout) warmUp(b *testing.B) {
	ctx := context.Background()
	deadline := time.Now().Add(30 * time.Second)
	var sent int64
	for f.warmed.Load() != int64(len(f.subs)) {
		if time.Now().After(deadline) {
			b.Fatalf("got %d subscribers warmed up, want %d", f.warmed.Load(), len(f.subs))
		}
		if err := f.pub.Send(ctx, []byte("warm-up")); err != nil {
			b.Fatal(err)
		}
		sent++
		time.Sleep(5 * time.Millisecond)
	}
	for i := 0; i < len(f.subs); {
		if f.subs[i].warm.Load() >= sent {
			i++
			continue
		}
		if time.Now().After(deadline) {
			b.Fatalf("subscriber %d: got %d warm-up messages, want %d", i, f.subs[i].warm.Load(), sent)
		}
		time.Sleep(time.Millisecond)
	}
}

// waitFor waits until every subscriber has received at least n messages.
func (f *fanout) waitFor(b *testing.B, n int64) {
	if n <= 0 {
		return
	}
	progress := time.Now()
	for i := 0; i < len(f.subs); {
		if f.subs[i].got.Load() >= n {
			i++
			progress = time.Now()
			continue
		}
		if time.Since(progress) > 10*time.Second {
			b.Fatalf("subscriber %d: got %d messages, want %d", i, f.subs[i].got.Load(), n)
		}
		time.Sleep(20 * time.Microsecond)
	}
}

// drain waits until the subscribers have received want messages in all, or
// nothing has come for 300 ms; it returns how many came, and when the last
// one did (to the millisecond).
func (f *fanout) drain(want int64) (int64, time.Time) {
	var got int64
	last := time.Now()
	for got != want && time.Since(last) < 300*time.Millisecond {
		var sum int64
		for _, s := range f.subs {
			sum += s.got.Load()
		}
		if sum != got {
			got, last = sum, time.Now()
		}
		time.Sleep(time.Millisecond)
	}
	return got, last
}

// subDrops sums the messages the subscribers dropped for a full queue.
func (f *fanout) subDrops() uint64 {
	var d uint64
	for _, s := range f.subs {
		d += s.s.Stats().Drops.QueueFull
	}
	return d
}

// close closes the sockets and waits for the receivers.
func (f *fanout) close() {
	f.pub.Close()
	for _, s := range f.subs {
		if s != nil {
			s.s.Close()
		}
	}
	f.wg.Wait()
}
