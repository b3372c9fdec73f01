package hostile_test

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/sptest"
	"github.com/stretchr/testify/require"
)

const (
	maxSize   = 4096                   // the listener's RecvMaxSize
	hsTimeout = 400 * time.Millisecond // the listener's HandshakeTimeout
)

var transports = []string{"tcp", "ipc", "ws"}

// setup is a listening socket of protocol p on transport tr, with a good
// peer doing rounds of its exchange in a loop for as long as the test runs.
type setup struct {
	p        proto
	tr       string
	lis      sp.Socket
	addr     string // the URL the good peer dialed
	goodPipe atomic.Uint32
	live     atomic.Int64 // pipes of the listener now
	hostile  atomic.Int64 // pipes added after the good one
	events   atomic.Int64 // hostile pipes added or removed
	rounds   atomic.Int64 // rounds completed
	resends  atomic.Int64 // good messages lost to a hostile pipe and resent
	finished chan error
	stop     context.CancelFunc
}

func newSetup(t *testing.T, p proto, tr string) *setup {
	t.Helper()
	s := &setup{p: p, tr: tr, finished: make(chan error, 1)}
	s.lis = sptest.New(t, p.listener)
	good := sptest.New(t, p.good)
	require.NoError(t, sp.SetOption(s.lis, sp.RecvMaxSize, maxSize))
	require.NoError(t, sp.SetOption(s.lis, sp.HandshakeTimeout, hsTimeout))
	if p.setup != nil {
		require.NoError(t, p.setup(s.lis, good))
	}
	up := make(chan struct{})
	s.lis.SetPipeHook(func(ev sp.PipeEvent, pp sp.Pipe) bool {
		switch ev {
		case sp.PipeAdded:
			s.live.Add(1)
			if s.goodPipe.CompareAndSwap(0, pp.ID()) {
				close(up)
			} else {
				s.hostile.Add(1)
				s.events.Add(1)
			}
		case sp.PipeRemoved:
			s.live.Add(-1)
			s.events.Add(1)
		}
		return true
	})
	switch tr {
	case "tcp":
		s.addr = sptest.Listen(t, s.lis, sptest.TCPAddr(t))
	case "ipc":
		s.addr = sptest.Listen(t, s.lis, sptest.IPCAddr(t))
	case "ws":
		l, err := s.lis.NewListener("ws://127.0.0.1:0/hostile")
		require.NoError(t, err)
		require.NoError(t, l.Listen())
		s.addr = fmt.Sprintf("ws://%s/hostile", l.Addr().(*net.TCPAddr))
	}
	sptest.Dial(t, good, s.addr)
	select {
	case <-up:
	case <-time.After(sptest.Timeout):
		t.Fatal("the good peer's pipe did not come up")
	}

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	s.stop = cancel
	t.Cleanup(func() { cancel(); wg.Wait() }) // before the sockets close
	if p.serve != nil {
		wg.Add(1)
		go func() { defer wg.Done(); p.serve(ctx, s.lis, good) }()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for n := 0; ; n++ {
			mark := s.events.Load()
			lost := func() bool {
				// a loss is explained only if a hostile pipe was
				// there to swallow the message
				now := s.events.Load()
				ok := now != mark || s.live.Load() > 1
				mark = now
				if ok {
					s.resends.Add(1)
				}
				return ok
			}
			rctx, rcancel := context.WithTimeout(ctx, sptest.Timeout)
			err := p.round(rctx, s.lis, good, n, lost)
			rcancel()
			if ctx.Err() != nil {
				s.finished <- nil
				return
			}
			if err != nil {
				s.finished <- fmt.Errorf("good round %d: %w", n, err)
				return
			}
			s.rounds.Add(1)
			time.Sleep(time.Millisecond) // leave the CPU to the attacks
		}
	}()
	s.waitRounds(t, 3)
	return s
}

// waitRounds waits until the good peer has completed k more rounds.
func (s *setup) waitRounds(t *testing.T, k int64) {
	t.Helper()
	target := s.rounds.Load() + k
	deadline := time.Now().Add(sptest.Timeout)
	for s.rounds.Load() < target {
		select {
		case err := <-s.finished:
			s.finished <- err
			t.Fatalf("the good peer stopped: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("the good peer stalled at round %d", s.rounds.Load())
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// finish checks that the good peer is still being served, then stops it and
// checks that every one of its rounds completed.
func (s *setup) finish(t *testing.T) {
	t.Helper()
	s.waitRounds(t, 5)
	s.stop()
	select {
	case err := <-s.finished:
		require.NoError(t, err)
	case <-time.After(sptest.Timeout):
		t.Fatal("the good peer did not stop")
	}
	if n := s.resends.Load(); n > 0 {
		t.Logf("%d good message(s) were queued to a hostile %s peer that vanished, and resent", n, s.p.name)
	}
}

// waitStats waits until cond holds for the listener's statistics.
func (s *setup) waitStats(t *testing.T, what string, cond func(st sp.SocketStats) bool) sp.SocketStats {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		st := s.lis.Stats()
		if cond(st) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("the listener's statistics never showed %s: %+v %+v", what, st.Connections, st.Drops)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitLive waits until the listener has n pipes.
func (s *setup) waitLive(t *testing.T, n int64) {
	t.Helper()
	deadline := time.Now().Add(sptest.Timeout)
	for s.live.Load() != n {
		if time.Now().After(deadline) {
			t.Fatalf("the listener has %d pipes, want %d", s.live.Load(), n)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// hostPort is the network and address a raw client connects to.
func (s *setup) hostPort() (network, addr string) {
	switch s.tr {
	case "ipc":
		return "unix", strings.TrimPrefix(s.addr, "ipc://")
	case "ws":
		a := strings.TrimPrefix(s.addr, "ws://")
		return "tcp", a[:strings.IndexByte(a, '/')]
	}
	return "tcp", strings.TrimPrefix(s.addr, "tcp://")
}

// dialRaw opens a raw connection to the listener, closed at the end of the test.
func (s *setup) dialRaw(t *testing.T) net.Conn {
	t.Helper()
	network, addr := s.hostPort()
	c, err := net.Dial(network, addr)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

// handshake returns the SP handshake of protocol id proto.
func handshake(proto uint16) []byte {
	return []byte{0, 'S', 'P', 0, byte(proto >> 8), byte(proto), 0, 0}
}
