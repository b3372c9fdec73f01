package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/spgo/sp"
	"github.com/spgo/sp/protocol/bus"
	"github.com/spgo/sp/protocol/pair"
	"github.com/spgo/sp/protocol/pair1"
	"github.com/spgo/sp/protocol/pub"
	"github.com/spgo/sp/protocol/pull"
	"github.com/spgo/sp/protocol/push"
	"github.com/spgo/sp/protocol/rep"
	"github.com/spgo/sp/protocol/req"
	"github.com/spgo/sp/protocol/sub"
)

// pattern names the sockets of each end: local listens (and receives, or
// echoes), remote dials (and sends, or times round trips). lossy patterns
// drop what a slow receiver cannot take.
type pattern struct {
	local, remote func() (sp.Socket, error)
	thr, lat      bool
	lossy         bool
}

var patterns = map[string]pattern{
	"pair1":    {pair1.NewSocket, pair1.NewSocket, true, true, false},
	"pair":     {pair.NewSocket, pair.NewSocket, true, true, false},
	"pipeline": {pull.NewSocket, push.NewSocket, true, false, false},
	"reqrep":   {rep.NewSocket, req.NewSocket, false, true, false},
	"pubsub":   {subAll, pub.NewSocket, true, false, true},
	"bus":      {bus.NewSocket, bus.NewSocket, true, false, true},
}

func subAll() (sp.Socket, error) {
	s, err := sub.NewSocket()
	if err == nil {
		err = sp.SetOption(s, sub.SubscribeOption, []byte{})
	}
	return s, err
}

type runner struct {
	p           pattern
	url         string
	size, count int
	out         io.Writer
	ready       chan struct{} // closed once the local end listens (inproc)
	body        []byte        // what every message carries
}

// open makes and connects one end, with the buffers of nng's perf tool.
func (r *runner) open(local bool) (sp.Socket, error) {
	f := r.p.remote
	if local {
		f = r.p.local
	}
	s, err := f()
	if err != nil {
		return nil, err
	}
	for _, set := range []func() error{
		func() error { return sp.SetOption(s, sp.RecvMaxSize, 0) },
		func() error { return sp.SetOption(s, sp.SendQueueLen, 128) },
		func() error { return sp.SetOption(s, sp.RecvQueueLen, 128) },
	} {
		if err := set(); err != nil {
			s.Close()
			return nil, err
		}
	}
	if local {
		_, err = s.Listen(r.url)
		if r.ready != nil {
			close(r.ready)
		}
	} else {
		if r.ready != nil {
			<-r.ready
		}
		err = s.Dial(r.url, sp.WithDialSync())
	}
	if err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// message returns a new message of the run's size, copied from a body made
// once (SendMsg takes the message it is given, so each send needs one).
func (r *runner) message() *sp.Message {
	if len(r.body) != r.size {
		r.body = bytes.Repeat([]byte{'x'}, r.size)
	}
	m := sp.NewMessage(r.size)
	m.Body = append(m.Body, r.body...)
	return m
}

func (r *runner) localThr() error {
	if !r.p.thr {
		return errors.New("this pattern has no throughput test")
	}
	s, err := r.open(true)
	if err != nil {
		return err
	}
	defer s.Close()
	ctx := context.Background()
	m, err := s.RecvMsg(ctx) // the warm-up
	if err != nil {
		return err
	}
	m.Free()
	got := 0
	start := time.Now()
	last := start
	for got < r.count {
		rctx, cancel := ctx, context.CancelFunc(func() {})
		if r.p.lossy {
			rctx, cancel = context.WithTimeout(ctx, time.Second)
		}
		m, err := s.RecvMsg(rctx)
		cancel()
		if err != nil {
			if r.p.lossy && errors.Is(err, sp.ErrTimeout) {
				break
			}
			return err
		}
		m.Free()
		got++
		if r.p.lossy {
			last = time.Now() // the run ends with the last message that came
		}
	}
	if !r.p.lossy {
		last = time.Now()
	}
	r.printThr(got, last.Sub(start))
	return nil
}

// printThr prints a throughput run's lines: got messages of the run's size
// received in dt.
func (r *runner) printThr(got int, dt time.Duration) {
	s := dt.Seconds()
	fmt.Fprintf(r.out, "message size: %d [B]\nmessage count: %d\n", r.size, got)
	if got < r.count {
		fmt.Fprintf(r.out, "messages lost: %d\n", r.count-got)
	}
	fmt.Fprintf(r.out, "throughput: %.0f [msg/s]\n", float64(got)/s)
	fmt.Fprintf(r.out, "throughput: %.3f [Mb/s]\n", float64(got)/s*float64(r.size)*8/1e6)
}

func (r *runner) remoteThr() error {
	if !r.p.thr {
		return errors.New("this pattern has no throughput test")
	}
	s, err := r.open(false)
	if err != nil {
		return err
	}
	defer s.Close()
	if r.p.lossy {
		time.Sleep(100 * time.Millisecond) // the far end must know us before we publish
	}
	ctx := context.Background()
	for i := 0; i <= r.count; i++ {
		if err := s.SendMsg(ctx, r.message()); err != nil {
			return err
		}
	}
	return shutdown(s)
}

// shutdownTimeout bounds how long the sending end waits for the far end to
// read what it sent, once it sent it all.
const shutdownTimeout = time.Minute

// shutdown writes out what s still holds and closes it (the deferred Close
// is then a no-op).
func shutdown(s sp.Socket) error {
	ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	return s.Shutdown(ctx)
}

func (r *runner) localLat() error {
	if !r.p.lat {
		return errors.New("this pattern has no latency test")
	}
	s, err := r.open(true)
	if err != nil {
		return err
	}
	defer s.Close()
	ctx := context.Background()
	for i := 0; i < r.count; i++ {
		m, err := s.RecvMsg(ctx)
		if err != nil {
			return err
		}
		if err := s.SendMsg(ctx, m); err != nil {
			return err
		}
	}
	return shutdown(s) // the last echo goes out
}

func (r *runner) remoteLat() error {
	if !r.p.lat {
		return errors.New("this pattern has no latency test")
	}
	s, err := r.open(false)
	if err != nil {
		return err
	}
	defer s.Close()
	ctx := context.Background()
	start := time.Now()
	for i := 0; i < r.count; i++ {
		if err := s.SendMsg(ctx, r.message()); err != nil {
			return err
		}
		m, err := s.RecvMsg(ctx)
		if err != nil {
			return err
		}
		if len(m.Body) != r.size {
			return fmt.Errorf("echo of %d bytes, want %d", len(m.Body), r.size)
		}
		m.Free()
	}
	r.printLat(time.Since(start))
	return nil
}

// printLat prints a latency run's lines: the run's count of round trips took
// dt; one way is half a round trip.
func (r *runner) printLat(dt time.Duration) {
	fmt.Fprintf(r.out, "message size: %d [B]\nroundtrip count: %d\n", r.size, r.count)
	fmt.Fprintf(r.out, "average latency: %.3f [us]\n", dt.Seconds()/float64(r.count)/2*1e6)
}

// inproc runs both ends in one process, the local one first.
func (r *runner) inproc(local, remote func() error) error {
	r.ready = make(chan struct{})
	errc := make(chan error, 1)
	go func() { errc <- local() }()
	if err := remote(); err != nil {
		return err
	}
	return <-errc
}

// chanQueueLen is the capacity of chan_thr's channel, and the fair
// equivalent of the sp run's buffering: open gives each socket a send and a
// receive queue of 128 messages (sp.SendQueueLen, sp.RecvQueueLen), and each
// such queue is a buffer of 128 messages between two goroutines, which is
// what a channel of capacity 128 is. sp chains two of them (with inproc's
// pipe between) where the baseline has one; past a few messages more depth
// buys nothing unless one side stalls (a capacity of 256 measured no faster
// here), while a deeper channel than sp's queue would give the baseline room
// that sp does not have.
const chanQueueLen = 128

// bufPool is the baseline's counterpart of sp's message pool: a sync.Pool of
// buffers with room for size bytes, held by pointer so that Put does not
// allocate.
type bufPool struct {
	p    sync.Pool
	size int
}

// get returns an empty buffer with room for the pool's size, a recycled one
// when there is one, as sp.NewMessage does.
func (p *bufPool) get() *[]byte {
	if b, ok := p.p.Get().(*[]byte); ok {
		return b
	}
	b := make([]byte, 0, p.size)
	return &b
}

// put recycles b, as sp's Message.Free does.
func (p *bufPool) put(b *[]byte) {
	*b = (*b)[:0]
	p.p.Put(b)
}

// chanMessage is the baseline's message(): a buffer from the pool, filled
// by copying the run's body into it.
func (r *runner) chanMessage(pool *bufPool) *[]byte {
	b := pool.get()
	*b = append(*b, r.body...)
	return b
}

// chanThr is inproc_thr's baseline without sp: the same work, done by two
// goroutines and one channel of capacity chanQueueLen. The sender, like
// remoteThr, sends a warm-up and then the run's count of messages, each a
// buffer from a pool filled by copying the run's body; the receiver, like
// localThr, takes the warm-up, starts the clock, takes every message,
// recycles each into the pool and stops the clock at the last one.
//
// Messages come from a pool, not from make, because that is what sp does:
// message() takes a pooled buffer (sp.NewMessage) and copies the body into
// it, localThr gives it back (Free), and inproc moves the *sp.Message by
// reference. A fresh make per message would charge the baseline an
// allocation and garbage collection that sp does not pay, and make sp look
// better than it is. So the baseline pays what sp's message handling pays
// (a pool Get, a copy of SIZE bytes, a pool Put), and the difference
// between the two runs is what sp adds: sockets, queues, pipes and protocol.
func (r *runner) chanThr() error {
	r.body = bytes.Repeat([]byte{'x'}, r.size)
	pool := &bufPool{size: r.size}
	c := make(chan *[]byte, chanQueueLen)
	done := make(chan struct{})
	go func() { // the receiving end, started first as inproc starts local
		defer close(done)
		pool.put(<-c) // the warm-up
		start := time.Now()
		for i := 0; i < r.count; i++ {
			pool.put(<-c)
		}
		r.printThr(r.count, time.Since(start))
	}()
	for i := 0; i <= r.count; i++ {
		c <- r.chanMessage(pool)
	}
	<-done
	return nil
}

// chanLat is inproc_lat's baseline without sp: a ping-pong of one message
// at a time between two goroutines over two channels of capacity 1 (a send
// returns once the message is queued, as SendMsg's does, rather than once
// the other end has taken it; with one message in flight neither ever
// holds more). The timing end, like remoteLat, sends a pooled buffer
// filled by copying the run's body, waits for it to come back, checks its
// length and recycles it; the echo end, like localLat, sends back what it
// receives. It prints round trip / 2. Why a pool: see chanThr.
func (r *runner) chanLat() error {
	r.body = bytes.Repeat([]byte{'x'}, r.size)
	pool := &bufPool{size: r.size}
	ping := make(chan *[]byte, 1)
	pong := make(chan *[]byte, 1)
	done := make(chan struct{})
	go func() { // the echo end
		defer close(done)
		for b := range ping {
			pong <- b
		}
	}()
	defer func() {
		close(ping)
		<-done
	}()
	start := time.Now()
	for i := 0; i < r.count; i++ {
		ping <- r.chanMessage(pool)
		b := <-pong
		if len(*b) != r.size {
			return fmt.Errorf("echo of %d bytes, want %d", len(*b), r.size)
		}
		pool.put(b)
	}
	r.printLat(time.Since(start))
	return nil
}
