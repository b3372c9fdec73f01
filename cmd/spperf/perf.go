package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
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
		err = sp.SetOption(s, sub.Subscribe, []byte{})
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
		err = s.Listen(r.url)
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
	dt := last.Sub(start).Seconds()
	fmt.Fprintf(r.out, "message size: %d [B]\nmessage count: %d\n", r.size, got)
	if got < r.count {
		fmt.Fprintf(r.out, "messages lost: %d\n", r.count-got)
	}
	fmt.Fprintf(r.out, "throughput: %.0f [msg/s]\n", float64(got)/dt)
	fmt.Fprintf(r.out, "throughput: %.3f [Mb/s]\n", float64(got)/dt*float64(r.size)*8/1e6)
	return nil
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
	time.Sleep(time.Second) // let the queues drain before Close discards them
	return nil
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
	time.Sleep(200 * time.Millisecond)
	return nil
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
	dt := time.Since(start).Seconds()
	fmt.Fprintf(r.out, "message size: %d [B]\nroundtrip count: %d\n", r.size, r.count)
	fmt.Fprintf(r.out, "average latency: %.3f [us]\n", dt/float64(r.count)/2*1e6)
	return nil
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
