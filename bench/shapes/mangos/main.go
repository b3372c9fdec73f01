// Command mangosshapes runs, on mangos v3, the service shapes of issue #17
// with the subcommands and output lines of spperf (cmd/spperf/shapes.go), so
// that bench/shapes.sh can set mangos beside sp and nng; and spperf's pair
// tests (perf.go), so that bench/compare.sh can set mangos beside sp, nng and
// rawperf over tcp and ipc. The shapes are written as a mangos service is:
// the rep side answers on 64 contexts, one goroutine each; each requester has
// a context of its own; the surveyor surveys on a context.
//
// In the shapes the server is the one socket that listens; the client is the
// many sockets that dial, each over a connection of its own. The end that
// measures waits for its peers, lets the shape run for a warm-up of 250 ms,
// measures for SECONDS, prints one line and exits; the other end runs until
// it is killed.
//
//	rpc_server    URL                               rep, 64 contexts
//	rpc_client    URL CONNS PER_CONN SECONDS SIZE   CONNS req sockets, PER_CONN contexts on each
//	                                                -> req/s N p50 X us p99 Y us
//	survey_server URL RESPONDENTS SECONDS SIZE      surveyor context; a survey ends when all answered
//	                                                -> surveys/s N
//	survey_client URL RESPONDENTS                   RESPONDENTS respondent sockets, each echoing
//	fanout_server URL SUBS SIZE                     pub; waits for SUBS subscribers, then publishes at will
//	fanout_client URL SUBS SECONDS                  SUBS sub sockets -> msgs/s N (delivered, all of them)
//	fanin_server  URL PUSHERS SECONDS               pull; waits for PUSHERS and a first message -> msgs/s N
//	fanin_client  URL PUSHERS SIZE                  PUSHERS push sockets, each sending at will
//
// The pair tests (pair v1, over tcp:// or ipc://), as spperf's:
//
//	local_thr     URL SIZE COUNT                    listen, receive a warm-up then COUNT messages
//	                                                -> throughput: N [msg/s], throughput: X [Mb/s]
//	remote_thr    URL SIZE COUNT                    dial, send a warm-up then COUNT messages
//	local_lat     URL SIZE COUNT                    listen, echo COUNT messages
//	remote_lat    URL SIZE COUNT                    dial, time COUNT round trips
//	                                                -> average latency: X [us] (one way)
//
// It is a module of its own, so that sp's module does not depend on mangos.
package main

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.nanomsg.org/mangos/v3"
	"go.nanomsg.org/mangos/v3/protocol/pub"
	"go.nanomsg.org/mangos/v3/protocol/pull"
	"go.nanomsg.org/mangos/v3/protocol/push"
	"go.nanomsg.org/mangos/v3/protocol/rep"
	"go.nanomsg.org/mangos/v3/protocol/req"
	"go.nanomsg.org/mangos/v3/protocol/respondent"
	"go.nanomsg.org/mangos/v3/protocol/sub"
	"go.nanomsg.org/mangos/v3/protocol/surveyor"
	_ "go.nanomsg.org/mangos/v3/transport/tcp"
)

const (
	warmup         = 250 * time.Millisecond
	rpcConcurrency = 64
)

type shape struct {
	args string
	run  func(url string, nums []int) error
}

var shapes = map[string]shape{
	"rpc_server":    {"URL", rpcServer},
	"rpc_client":    {"URL CONNS PER_CONN SECONDS SIZE", rpcClient},
	"survey_server": {"URL RESPONDENTS SECONDS SIZE", surveyServer},
	"survey_client": {"URL RESPONDENTS", surveyClient},
	"fanout_server": {"URL SUBS SIZE", fanoutServer},
	"fanout_client": {"URL SUBS SECONDS", fanoutClient},
	"fanin_server":  {"URL PUSHERS SECONDS", faninServer},
	"fanin_client":  {"URL PUSHERS SIZE", faninClient},
	// The pair tests of compare.sh (perf.go).
	"local_thr":  {"URL SIZE COUNT", localThr},
	"remote_thr": {"URL SIZE COUNT", remoteThr},
	"local_lat":  {"URL SIZE COUNT", localLat},
	"remote_lat": {"URL SIZE COUNT", remoteLat},
}

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	sh, ok := shapes[os.Args[1]]
	names := strings.Fields(sh.args)
	args := os.Args[2:]
	if !ok || len(args) != len(names) {
		usage()
	}
	nums := make([]int, len(args)-1)
	for i, a := range args[1:] {
		v, err := strconv.Atoi(a)
		if err != nil || v < 0 || (v == 0 && names[i+1] != "SIZE") {
			fmt.Fprintf(os.Stderr, "mangosshapes: %q: want a number >= 1 (SIZE >= 0)\n", a)
			os.Exit(2)
		}
		nums[i] = v
	}
	if err := sh.run(args[0], nums); err != nil {
		fmt.Fprintln(os.Stderr, "mangosshapes:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: mangosshapes MODE URL ...")
	for _, m := range slices.Sorted(func(yield func(string) bool) {
		for m := range shapes {
			if !yield(m) {
				return
			}
		}
	}) {
		fmt.Fprintf(os.Stderr, "       mangosshapes %s %s\n", m, shapes[m].args)
	}
	os.Exit(2)
}

// peers counts the pipes attached to every socket of the process.
var peers atomic.Int64

func waitPeers(n int) {
	for peers.Load() < int64(n) {
		time.Sleep(time.Millisecond)
	}
}

// open opens a socket that listens on url (listen) or dials it in the
// background, reconnecting (the server may come later).
func open(newSocket func() (mangos.Socket, error), url string, listen bool) (mangos.Socket, error) {
	s, err := newSocket()
	if err != nil {
		return nil, err
	}
	s.SetPipeEventHook(func(ev mangos.PipeEvent, _ mangos.Pipe) {
		if ev == mangos.PipeEventAttached {
			peers.Add(1)
		}
	})
	if listen {
		err = s.Listen(url)
	} else {
		err = s.DialOptions(url, map[string]any{mangos.OptionDialAsynch: true})
	}
	if err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func openN(newSocket func() (mangos.Socket, error), url string, n int) ([]mangos.Socket, error) {
	ss := make([]mangos.Socket, n)
	for i := range ss {
		var err error
		if ss[i], err = open(newSocket, url, false); err != nil {
			return nil, err
		}
	}
	return ss, nil
}

func message(size int) *mangos.Message {
	m := mangos.NewMessage(size)
	m.Body = m.Body[:size]
	return m
}

// echo answers what c receives with it, until c fails.
func echo(c interface {
	RecvMsg() (*mangos.Message, error)
	SendMsg(*mangos.Message) error
}) error {
	for {
		m, err := c.RecvMsg()
		if err != nil {
			return err
		}
		if err := c.SendMsg(m); err != nil {
			return err
		}
	}
}

func rpcServer(url string, _ []int) error {
	s, err := open(rep.NewSocket, url, true)
	if err != nil {
		return err
	}
	errs := make(chan error)
	for range rpcConcurrency {
		c, err := s.OpenContext()
		if err != nil {
			return err
		}
		go func() { errs <- echo(c) }()
	}
	return <-errs
}

func rpcClient(url string, nums []int) error {
	conns, perConn, seconds, size := nums[0], nums[1], nums[2], nums[3]
	ss, err := openN(req.NewSocket, url, conns)
	if err != nil {
		return err
	}
	waitPeers(conns)
	start := time.Now().Add(warmup)
	end := start.Add(time.Duration(seconds) * time.Second)
	lats := make([][]time.Duration, conns*perConn)
	errs := make(chan error, len(lats))
	var wg sync.WaitGroup
	for g := range lats {
		c, err := ss[g%conns].OpenContext()
		if err != nil {
			return err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer c.Close()
			var mine []time.Duration
			for {
				t0 := time.Now()
				if err := c.SendMsg(message(size)); err != nil {
					errs <- err
					return
				}
				m, err := c.RecvMsg()
				if err != nil {
					errs <- err
					return
				}
				m.Free()
				t1 := time.Now()
				if t1.After(end) {
					break
				}
				if t1.After(start) {
					mine = append(mine, t1.Sub(t0))
				}
			}
			lats[g] = mine
		}()
	}
	wg.Wait()
	select {
	case err := <-errs:
		return err
	default:
	}
	all := slices.Concat(lats...)
	if len(all) == 0 {
		return errors.New("no request answered")
	}
	slices.Sort(all)
	q := func(p float64) float64 { return float64(all[int(p*float64(len(all)-1))].Microseconds()) }
	fmt.Printf("req/s %.0f p50 %.0f us p99 %.0f us\n", float64(len(all))/end.Sub(start).Seconds(), q(0.5), q(0.99))
	for _, s := range ss {
		s.Close()
	}
	return nil
}

func surveyServer(url string, nums []int) error {
	n, seconds, size := nums[0], nums[1], nums[2]
	s, err := open(surveyor.NewSocket, url, true)
	if err != nil {
		return err
	}
	defer s.Close()
	c, err := s.OpenContext()
	if err != nil {
		return err
	}
	// Each survey ends when all have answered, long before this.
	if err := c.SetOption(mangos.OptionSurveyTime, 10*time.Second); err != nil {
		return err
	}
	waitPeers(n)
	start := time.Now().Add(warmup)
	end := start.Add(time.Duration(seconds) * time.Second)
	surveys := 0
	for {
		// A new survey on the context ends the last one.
		if err := c.SendMsg(message(size)); err != nil {
			return err
		}
		for got := 0; got < n; got++ {
			m, err := c.RecvMsg()
			if err != nil {
				return fmt.Errorf("a survey got %d answers of %d: %w", got, n, err)
			}
			m.Free()
		}
		now := time.Now()
		if now.After(end) {
			break
		}
		if now.After(start) {
			surveys++
		}
	}
	fmt.Printf("surveys/s %.0f\n", float64(surveys)/end.Sub(start).Seconds())
	return nil
}

func surveyClient(url string, nums []int) error {
	ss, err := openN(respondent.NewSocket, url, nums[0])
	if err != nil {
		return err
	}
	errs := make(chan error)
	for _, s := range ss {
		go func() { errs <- echo(s) }()
	}
	return <-errs
}

func fanoutServer(url string, nums []int) error {
	n, size := nums[0], nums[1]
	s, err := open(pub.NewSocket, url, true)
	if err != nil {
		return err
	}
	waitPeers(n)
	for {
		if err := s.SendMsg(message(size)); err != nil {
			return err
		}
	}
}

// counter is one receiver's count, alone on its cache line.
type counter struct {
	n atomic.Int64
	_ [56]byte
}

// measureCounts receives from every socket, counting, and prints the
// messages counted per second over the window, which starts a warm-up after
// every socket has had a first message.
func measureCounts(ss []mangos.Socket, seconds int) error {
	counts := make([]counter, len(ss))
	errs := make(chan error, len(ss))
	var started sync.WaitGroup
	started.Add(len(ss))
	for i, s := range ss {
		go func() {
			first := true
			for {
				m, err := s.RecvMsg()
				if first {
					first = false
					started.Done()
				}
				if err != nil {
					errs <- err
					return
				}
				m.Free()
				counts[i].n.Add(1)
			}
		}()
	}
	started.Wait()
	select {
	case err := <-errs:
		return err
	default:
	}
	sum := func() (t int64) {
		for i := range counts {
			t += counts[i].n.Load()
		}
		return t
	}
	time.Sleep(warmup)
	t0, c0 := time.Now(), sum()
	time.Sleep(time.Duration(seconds) * time.Second)
	t1, c1 := time.Now(), sum()
	fmt.Printf("msgs/s %.0f\n", float64(c1-c0)/t1.Sub(t0).Seconds())
	for _, s := range ss {
		s.Close()
	}
	return nil
}

func fanoutClient(url string, nums []int) error {
	n, seconds := nums[0], nums[1]
	ss, err := openN(func() (mangos.Socket, error) {
		s, err := sub.NewSocket()
		if err == nil {
			if err = s.SetOption(mangos.OptionSubscribe, []byte{}); err != nil {
				s.Close()
			}
		}
		return s, err
	}, url, n)
	if err != nil {
		return err
	}
	return measureCounts(ss, seconds)
}

func faninServer(url string, nums []int) error {
	n, seconds := nums[0], nums[1]
	s, err := open(pull.NewSocket, url, true)
	if err != nil {
		return err
	}
	waitPeers(n)
	return measureCounts([]mangos.Socket{s}, seconds)
}

func faninClient(url string, nums []int) error {
	n, size := nums[0], nums[1]
	ss, err := openN(push.NewSocket, url, n)
	if err != nil {
		return err
	}
	errs := make(chan error)
	for _, s := range ss {
		go func() {
			for {
				if err := s.SendMsg(message(size)); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	return <-errs
}
