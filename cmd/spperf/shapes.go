package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spgo/sp"
	"github.com/spgo/sp/protocol/pub"
	"github.com/spgo/sp/protocol/pull"
	"github.com/spgo/sp/protocol/push"
	"github.com/spgo/sp/protocol/rep"
	"github.com/spgo/sp/protocol/req"
	"github.com/spgo/sp/protocol/respondent"
	"github.com/spgo/sp/protocol/sub"
	"github.com/spgo/sp/protocol/surveyor"
)

// shapes are the subcommands of the service shapes of issue #17. In each
// shape the server is the one socket, which listens, and the client is the
// many sockets, which dial, each over a connection of its own. The end that
// measures waits for its peers, lets the shape run for shapeWarmup, measures
// for SECONDS, prints one line and exits; the other end runs until it is
// killed (or its ctx ends). bench/shapes.sh runs the same subcommands of
// nngshapes (libnng) and mangosshapes (mangos v3) beside these.
//
//	rpc_server    URL                                rep, a rep.Server answering 64 at once
//	rpc_client    URL CONNS PER_CONN SECONDS SIZE    CONNS req sockets, PER_CONN req.Request callers on each
//	                                                 -> req/s N p50 X us p99 Y us
//	survey_server URL RESPONDENTS SECONDS SIZE       surveyor; a survey ends when all have answered
//	                                                 -> surveys/s N
//	survey_client URL RESPONDENTS                    RESPONDENTS respondent sockets on respondent.Serve (echo)
//	fanout_server URL SUBS SIZE                      pub; waits for SUBS subscribers, then publishes at will
//	fanout_client URL SUBS SECONDS                   SUBS sub sockets -> msgs/s N (delivered, all of them)
//	fanin_server  URL PUSHERS SECONDS                pull; waits for PUSHERS and a first message -> msgs/s N
//	fanin_client  URL PUSHERS SIZE                   PUSHERS push sockets, each sending at will
var shapes = map[string]shape{
	"rpc_server":    {"URL", rpcServer},
	"rpc_client":    {"URL CONNS PER_CONN SECONDS SIZE", rpcClient},
	"survey_server": {"URL RESPONDENTS SECONDS SIZE", surveyServer},
	"survey_client": {"URL RESPONDENTS", surveyClient},
	"fanout_server": {"URL SUBS SIZE", fanoutServer},
	"fanout_client": {"URL SUBS SECONDS", fanoutClient},
	"fanin_server":  {"URL PUSHERS SECONDS", faninServer},
	"fanin_client":  {"URL PUSHERS SIZE", faninClient},
}

// shape is one subcommand of the shapes.
type shape struct {
	// args names the arguments, as the usage line shows them: the URL,
	// then numbers.
	args string
	// run runs the subcommand with the URL and the numbers.
	run func(ctx context.Context, url string, nums []int, out io.Writer) error
}

// shapeWarmup is how long a shape runs before it is measured, in every tool.
const shapeWarmup = 250 * time.Millisecond

// inlineKey is the context key under which runShape says the answering
// ends answer inline (the -inline flag).
type inlineKey struct{}

// inline reports whether the answering ends answer inline.
func inline(ctx context.Context) bool { v, _ := ctx.Value(inlineKey{}).(bool); return v }

// rpcConcurrency is how many requests the rpc server answers at once: the
// 64 requesters of the shape.
const rpcConcurrency = 64

// runShape runs one of the shapes' subcommands until ctx ends (the ends
// that do not measure) or the measurement is over.
func runShape(ctx context.Context, mode string, args []string, stdout, stderr io.Writer) int {
	sh := shapes[mode]
	names := strings.Fields(sh.args)
	if len(args) != len(names) {
		fmt.Fprintf(stderr, "usage: spperf %s %s\n", mode, sh.args)
		return 2
	}
	nums := make([]int, len(names)-1)
	for i, a := range args[1:] {
		v, err := strconv.Atoi(a)
		if err != nil || v < 0 || (v == 0 && names[i+1] != "SIZE") {
			fmt.Fprintf(stderr, "spperf %s: %q: want a number >= 1 (SIZE >= 0)\n", mode, a)
			return 2
		}
		nums[i] = v
	}
	if err := sh.run(ctx, args[0], nums, stdout); err != nil && ctx.Err() == nil {
		fmt.Fprintf(stderr, "spperf %s: %v\n", mode, err)
		return 1
	}
	return 0
}

// window is the measured span of a run: it starts once the warm-up is over.
type window struct{ start, end time.Time }

func newWindow(seconds int) window {
	start := time.Now().Add(shapeWarmup)
	return window{start, start.Add(time.Duration(seconds) * time.Second)}
}

// sleep waits for the end of the window, or for ctx.
func (w window) sleep(ctx context.Context) error {
	t := time.NewTimer(time.Until(w.end))
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// sockets opens n sockets that dial url, or one that listens if n is 0.
func sockets(newSocket func() (sp.Socket, error), url string, n int) ([]sp.Socket, error) {
	var ss []sp.Socket
	for i := 0; i < max(n, 1); i++ {
		s, err := newSocket()
		if err != nil {
			closeAll(ss)
			return nil, err
		}
		ss = append(ss, s)
		if n == 0 {
			_, err = s.Listen(url)
		} else {
			err = s.Dial(url) // in the background, reconnecting: the server may come later
		}
		if err != nil {
			closeAll(ss)
			return nil, err
		}
	}
	return ss, nil
}

// closeAll closes every socket of ss.
func closeAll(ss []sp.Socket) {
	for _, s := range ss {
		s.Close()
	}
}

func rpcServer(ctx context.Context, url string, _ []int, _ io.Writer) error {
	ss, err := sockets(rep.NewSocket, url, 0)
	if err != nil {
		return err
	}
	defer closeAll(ss)
	srv := rep.Server{Concurrency: rpcConcurrency, Inline: inline(ctx), Handler: func(_ context.Context, q []byte) ([]byte, error) {
		return q, nil
	}}
	return srv.Serve(ctx, ss[0])
}

func rpcClient(ctx context.Context, url string, nums []int, out io.Writer) error {
	conns, perConn, seconds, size := nums[0], nums[1], nums[2], nums[3]
	ss, err := sockets(req.NewSocket, url, conns)
	if err != nil {
		return err
	}
	defer closeAll(ss)
	for _, s := range ss {
		if err := s.WaitPeers(ctx, 1); err != nil {
			return err
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w := newWindow(seconds)
	body := make([]byte, size)
	lats := make([][]time.Duration, conns*perConn)
	errs := make(chan error, len(lats))
	var wg sync.WaitGroup
	for g := range lats {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := ss[g%conns]
			var mine []time.Duration
			for {
				t0 := time.Now()
				if _, err := req.Request(ctx, s, body); err != nil {
					if ctx.Err() == nil {
						errs <- err
					}
					break
				}
				t1 := time.Now()
				if t1.After(w.end) {
					break
				}
				if t1.After(w.start) {
					mine = append(mine, t1.Sub(t0))
				}
			}
			lats[g] = mine
		}()
	}
	err = w.sleep(ctx)
	wg.Wait()
	if err != nil {
		return err
	}
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
	fmt.Fprintf(out, "req/s %.0f p50 %.0f us p99 %.0f us\n", float64(len(all))/w.end.Sub(w.start).Seconds(), q(0.5), q(0.99))
	return nil
}

func surveyServer(ctx context.Context, url string, nums []int, out io.Writer) error {
	n, seconds, size := nums[0], nums[1], nums[2]
	ss, err := sockets(surveyor.NewSocket, url, 0)
	if err != nil {
		return err
	}
	defer closeAll(ss)
	s := ss[0]
	// Each survey ends when all have answered, long before this.
	if err := sp.SetOption(s, surveyor.SurveyTime, 10*time.Second); err != nil {
		return err
	}
	if err := s.WaitPeers(ctx, n); err != nil {
		return err
	}
	body := make([]byte, size)
	w := newWindow(seconds)
	surveys := 0
	for {
		got := 0
		for _, err := range surveyor.Survey(ctx, s, body) {
			if err != nil {
				return err
			}
			if got++; got == n {
				break
			}
		}
		if got != n {
			return fmt.Errorf("a survey got %d answers of %d", got, n)
		}
		now := time.Now()
		if now.After(w.end) {
			break
		}
		if now.After(w.start) {
			surveys++
		}
	}
	fmt.Fprintf(out, "surveys/s %.0f\n", float64(surveys)/w.end.Sub(w.start).Seconds())
	return nil
}

func surveyClient(ctx context.Context, url string, nums []int, _ io.Writer) error {
	ss, err := sockets(respondent.NewSocket, url, nums[0])
	if err != nil {
		return err
	}
	defer closeAll(ss)
	return serveAll(ctx, ss, func(ctx context.Context, s sp.Socket) error {
		srv := respondent.Server{Inline: inline(ctx), Handler: func(_ context.Context, q []byte) ([]byte, error) { return q, nil }}
		return srv.Serve(ctx, s)
	})
}

// serveAll runs f on each socket until ctx ends, and returns the first error
// of one that failed before.
func serveAll(ctx context.Context, ss []sp.Socket, f func(context.Context, sp.Socket) error) error {
	errs := make(chan error, len(ss))
	for _, s := range ss {
		go func() { errs <- f(ctx, s) }()
	}
	var first error
	for range ss {
		if err := <-errs; err != nil && first == nil && ctx.Err() == nil {
			first = err
		}
	}
	return first
}

func fanoutServer(ctx context.Context, url string, nums []int, _ io.Writer) error {
	n, size := nums[0], nums[1]
	ss, err := sockets(pub.NewSocket, url, 0)
	if err != nil {
		return err
	}
	defer closeAll(ss)
	s := ss[0]
	if err := s.WaitPeers(ctx, n); err != nil {
		return err
	}
	body := make([]byte, size)
	for ctx.Err() == nil {
		m := sp.NewMessage(size)
		m.Body = append(m.Body, body...)
		if err := s.SendMsg(ctx, m); err != nil {
			return err
		}
	}
	return ctx.Err()
}

// counter is one receiver's count, alone on its cache line.
type counter struct {
	n atomic.Int64
	_ [56]byte
}

// countAll receives from every socket until ctx ends, counting messages, and
// marks started Done for each socket once it has had its first message (or
// failed).
func countAll(ctx context.Context, ss []sp.Socket, counts []counter, started *sync.WaitGroup) error {
	return serveAll(ctx, ss, func(ctx context.Context, s sp.Socket) error {
		c := &counts[slices.Index(ss, s)]
		first := true
		for {
			m, err := s.RecvMsg(ctx)
			if err != nil {
				if first {
					started.Done()
				}
				return err
			}
			m.Free()
			c.n.Add(1)
			if first {
				first = false
				started.Done()
			}
		}
	})
}

func sum(counts []counter) int64 {
	var t int64
	for i := range counts {
		t += counts[i].n.Load()
	}
	return t
}

// measureCounts runs count (countAll on its n sockets) and prints the
// messages counted per second over the window, which starts a warm-up after
// every receiver has had a first message.
func measureCounts(ctx context.Context, seconds, n int, count func(ctx context.Context, counts []counter, started *sync.WaitGroup) error, out io.Writer) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	counts := make([]counter, n)
	var started sync.WaitGroup
	started.Add(n)
	done := make(chan error, 1)
	go func() { done <- count(ctx, counts, &started) }()
	first := make(chan struct{})
	go func() { started.Wait(); close(first) }()
	select {
	case <-first:
	case err := <-done:
		if err == nil {
			err = errors.New("receivers stopped")
		}
		return err
	}
	w := newWindow(seconds)
	time.Sleep(time.Until(w.start))
	t0, c0 := time.Now(), sum(counts)
	err := w.sleep(ctx)
	t1, c1 := time.Now(), sum(counts)
	cancel()
	if err2 := <-done; err == nil && err2 != nil && !errors.Is(err2, context.Canceled) {
		err = err2
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "msgs/s %.0f\n", float64(c1-c0)/t1.Sub(t0).Seconds())
	return nil
}

func fanoutClient(ctx context.Context, url string, nums []int, out io.Writer) error {
	n, seconds := nums[0], nums[1]
	ss, err := sockets(func() (sp.Socket, error) {
		s, err := sub.NewSocket()
		if err == nil {
			if err = sub.Subscribe(s, ""); err != nil {
				s.Close()
			}
		}
		return s, err
	}, url, n)
	if err != nil {
		return err
	}
	defer closeAll(ss)
	return measureCounts(ctx, seconds, n, func(ctx context.Context, counts []counter, started *sync.WaitGroup) error {
		return countAll(ctx, ss, counts, started)
	}, out)
}

func faninServer(ctx context.Context, url string, nums []int, out io.Writer) error {
	n, seconds := nums[0], nums[1]
	ss, err := sockets(pull.NewSocket, url, 0)
	if err != nil {
		return err
	}
	defer closeAll(ss)
	if err := ss[0].WaitPeers(ctx, n); err != nil {
		return err
	}
	return measureCounts(ctx, seconds, 1, func(ctx context.Context, counts []counter, started *sync.WaitGroup) error {
		return countAll(ctx, ss, counts, started)
	}, out)
}

func faninClient(ctx context.Context, url string, nums []int, _ io.Writer) error {
	n, size := nums[0], nums[1]
	ss, err := sockets(push.NewSocket, url, n)
	if err != nil {
		return err
	}
	defer closeAll(ss)
	body := make([]byte, size)
	return serveAll(ctx, ss, func(ctx context.Context, s sp.Socket) error {
		for {
			m := sp.NewMessage(size)
			m.Body = append(m.Body, body...)
			if err := s.SendMsg(ctx, m); err != nil {
				return err
			}
		}
	})
}
