package main

// The pair tests of bench/compare.sh, on mangos v3: spperf's local_thr,
// remote_thr, local_lat and remote_lat (cmd/spperf/perf.go), with the same
// arguments, socket type (pair v1), buffers (128 messages each way, no
// receive limit) and output lines, so that compare.sh can set mangos beside
// nngperf, rawperf and spperf over tcp and ipc.
//
//	local_thr  URL SIZE COUNT   listen, receive a warm-up then COUNT messages, print throughput
//	remote_thr URL SIZE COUNT   dial, send a warm-up then COUNT messages
//	local_lat  URL SIZE COUNT   listen, echo COUNT messages
//	remote_lat URL SIZE COUNT   dial, time COUNT round trips, print one-way latency
//
// The dialing end dials once and fails when nobody listens (the script
// retries it), as spperf's and nngperf's do. A mangos socket drops what it
// still queues when it is closed, so the end that sends last (remote_thr,
// local_lat) waits, once it has sent it all, until the other end hangs up
// (at most peerGoneTimeout) instead of closing at once.

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.nanomsg.org/mangos/v3"
	"go.nanomsg.org/mangos/v3/protocol/pair1"
	_ "go.nanomsg.org/mangos/v3/transport/ipc"
)

// peerGoneTimeout bounds how long the end that sent last waits for the
// other end to hang up.
const peerGoneTimeout = time.Minute

// perfSocket is one end of a pair test: a pair v1 socket with spperf's
// buffers, and a channel closed when its peer hangs up.
type perfSocket struct {
	mangos.Socket
	gone chan struct{}
}

func openPerf(url string, listen bool) (*perfSocket, error) {
	s, err := pair1.NewSocket()
	if err != nil {
		return nil, err
	}
	ps := &perfSocket{Socket: s, gone: make(chan struct{})}
	var once sync.Once
	s.SetPipeEventHook(func(ev mangos.PipeEvent, _ mangos.Pipe) {
		// pair v1 takes one peer, the one of the run.
		if ev == mangos.PipeEventDetached {
			once.Do(func() { close(ps.gone) })
		}
	})
	for _, o := range []struct {
		name  string
		value any
	}{
		{mangos.OptionMaxRecvSize, 0},
		{mangos.OptionWriteQLen, 128},
		{mangos.OptionReadQLen, 128},
	} {
		if err := s.SetOption(o.name, o.value); err != nil {
			s.Close()
			return nil, fmt.Errorf("%s: %w", o.name, err)
		}
	}
	if listen {
		err = s.Listen(url)
	} else {
		err = s.Dial(url)
	}
	if err != nil {
		s.Close()
		return nil, err
	}
	return ps, nil
}

// waitGone waits until the peer hangs up, so that what is still queued goes
// out before the socket is closed.
func (s *perfSocket) waitGone() error {
	select {
	case <-s.gone:
		return nil
	case <-time.After(peerGoneTimeout):
		return errors.New("the peer did not hang up")
	}
}

func localThr(url string, nums []int) error {
	size, count := nums[0], nums[1]
	s, err := openPerf(url, true)
	if err != nil {
		return err
	}
	defer s.Close()
	m, err := s.RecvMsg() // the warm-up
	if err != nil {
		return err
	}
	m.Free()
	start := time.Now()
	for range count {
		m, err := s.RecvMsg()
		if err != nil {
			return err
		}
		m.Free()
	}
	dt := time.Since(start).Seconds()
	fmt.Printf("message size: %d [B]\nmessage count: %d\n", size, count)
	fmt.Printf("throughput: %.0f [msg/s]\n", float64(count)/dt)
	fmt.Printf("throughput: %.3f [Mb/s]\n", float64(count)/dt*float64(size)*8/1e6)
	return nil
}

// perfMessage returns a new message carrying body (SendMsg takes the
// message it is given, so each send needs one), as spperf's message() does.
func perfMessage(body []byte) *mangos.Message {
	m := mangos.NewMessage(len(body))
	m.Body = append(m.Body, body...)
	return m
}

func remoteThr(url string, nums []int) error {
	size, count := nums[0], nums[1]
	s, err := openPerf(url, false)
	if err != nil {
		return err
	}
	defer s.Close()
	body := bytes.Repeat([]byte{'x'}, size)
	for i := 0; i <= count; i++ {
		if err := s.SendMsg(perfMessage(body)); err != nil {
			return err
		}
	}
	return s.waitGone()
}

func localLat(url string, nums []int) error {
	count := nums[1]
	s, err := openPerf(url, true)
	if err != nil {
		return err
	}
	defer s.Close()
	for range count {
		m, err := s.RecvMsg()
		if err != nil {
			return err
		}
		if err := s.SendMsg(m); err != nil {
			return err
		}
	}
	return s.waitGone() // the last echo goes out
}

func remoteLat(url string, nums []int) error {
	size, count := nums[0], nums[1]
	s, err := openPerf(url, false)
	if err != nil {
		return err
	}
	defer s.Close()
	body := bytes.Repeat([]byte{'x'}, size)
	start := time.Now()
	for range count {
		if err := s.SendMsg(perfMessage(body)); err != nil {
			return err
		}
		m, err := s.RecvMsg()
		if err != nil {
			return err
		}
		if len(m.Body) != size {
			return fmt.Errorf("echo of %d bytes, want %d", len(m.Body), size)
		}
		m.Free()
	}
	dt := time.Since(start)
	fmt.Printf("message size: %d [B]\nroundtrip count: %d\n", size, count)
	fmt.Printf("average latency: %.3f [us]\n", dt.Seconds()/float64(count)/2*1e6)
	return nil
}
