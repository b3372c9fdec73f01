package rep_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/sptest"
	"github.com/spgo/sp/protocol/rep"
	"github.com/spgo/sp/protocol/req"
)

// BenchmarkIdleConnections is the scale test of issue #6: one rep socket
// over tcp serves SP_SCALE (default 1000) connected req sockets at once, and
// each idle pipe should hold at most 16 KiB. The scale test is
//
//	SP_SCALE=10000 go test -run XXX -bench IdleConnections -benchtime 1x ./protocol/rep
//
// The requesters live in a child process (this test binary run again as
// TestHelperProcess), so that each process needs one descriptor per
// connection, not two: 10,000 connections fit under a limit of 20,000. Both
// processes raise their soft RLIMIT_NOFILE to the hard limit, so no ulimit
// is needed. The child dials its req sockets, each sends one request and
// waits for the reply, then they all stay connected and idle while this
// process, which holds the rep socket, checks that it has SP_SCALE pipes and
// answered SP_SCALE requests and measures its heap and stacks (after
// runtime.GC) against a baseline taken before the child dialed. It reports:
//
//	B/pipe          heap+stack of the rep side per idle pipe (one end)
//	heap-B/pipe     the heap part of it (runtime.MemStats.HeapInuse)
//	stack-B/pipe    the stack part (StackInuse)
//	goroutines/pipe goroutines of the rep side per idle pipe
//	conns           connections served (pipes counted, requests answered)
//	s/connect-all   time for the child to dial them all (handshakes done)
//	s/all-served    time from the first dial to the last reply
//
// With SP_SCALE_HEAPPROFILE=FILE it also writes, while the pipes are idle,
// a heap profile of every allocation (go tool pprof -sample_index
// inuse_space FILE) to break the heap figure down.
//
// The child reads its stdin until end of file and exits then, so it ends
// with this process however this process ends; on Linux it also has a
// parent-death signal.
func BenchmarkIdleConnections(b *testing.B) {
	n := scale()
	limit, err := raiseFDLimit()
	if err != nil {
		b.Fatalf("raising RLIMIT_NOFILE: %v", err)
	}
	if limit != 0 && uint64(n)+100 > limit {
		b.Fatalf("SP_SCALE=%d needs about %d descriptors per process; the limit is %d", n, n+100, limit)
	}
	if os.Getenv(scaleProfile) != "" {
		old := runtime.MemProfileRate
		runtime.MemProfileRate = 1 // every allocation, for an exact breakdown
		defer func() { runtime.MemProfileRate = old }()
	}
	b.ReportAllocs()
	var sum scaleResult
	for i := 0; i < b.N; i++ {
		r := idleConnections(b, n)
		sum.heap += r.heap
		sum.stacks += r.stacks
		sum.goroutines += r.goroutines
		sum.connect += r.connect
		sum.served += r.served
	}
	runs := float64(b.N)
	b.ReportMetric((sum.heap+sum.stacks)/runs, "B/pipe")
	b.ReportMetric(sum.heap/runs, "heap-B/pipe")
	b.ReportMetric(sum.stacks/runs, "stack-B/pipe")
	b.ReportMetric(sum.goroutines/runs, "goroutines/pipe")
	b.ReportMetric(float64(n), "conns")
	b.ReportMetric(sum.connect.Seconds()/runs, "s/connect-all")
	b.ReportMetric(sum.served.Seconds()/runs, "s/all-served")
}

// scaleEnv selects the requesters' process; scaleCount is the number of
// connections.
const (
	scaleEnv     = "SP_REP_SCALE_HELPER"
	scaleCount   = "SP_SCALE"
	scaleProfile = "SP_SCALE_HEAPPROFILE"
)

func scale() int {
	if v, err := strconv.Atoi(os.Getenv(scaleCount)); err == nil && v > 0 {
		return v
	}
	return 1000
}

type scaleResult struct {
	heap, stacks, goroutines float64 // per pipe
	connect, served          time.Duration
}

// heapAndStacks returns the heap and the stacks in use after a collection.
func heapAndStacks() (heap, stacks float64) {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return float64(ms.HeapInuse), float64(ms.StackInuse)
}

// idleConnections runs one round: a rep socket here, n requesters in a
// child process.
func idleConnections(b *testing.B, n int) scaleResult {
	ctx := context.Background()
	server, err := rep.NewSocket()
	if err != nil {
		b.Fatal(err)
	}
	pipes := sptest.CountPipes(server, nil)
	l, err := server.NewListener("tcp://127.0.0.1:0")
	if err == nil {
		err = l.Listen()
	}
	if err != nil {
		server.Close()
		b.Fatal(err)
	}
	url := fmt.Sprintf("tcp://%s", l.Addr())
	var answered atomic.Int64
	var wg sync.WaitGroup
	defer wg.Wait()
	defer server.Close() // first: the answering goroutine then returns
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			q, err := server.Recv(ctx)
			if err != nil {
				return
			}
			if server.Send(ctx, q) == nil {
				answered.Add(1)
			}
		}
	}()

	child := startRequesters(b, n)
	defer child.stop() // before server.Close: the child leaves first
	child.expect(b, "ready", 30*time.Second)

	goroutines := runtime.NumGoroutine()
	heap0, stacks0 := heapAndStacks()
	start := time.Now()
	child.send(b, url)
	timeout := time.Minute + time.Duration(n)*5*time.Millisecond
	connect := child.expect(b, "connected", timeout)
	served := child.expect(b, "served", timeout)
	took := time.Since(start)
	var ok, failed int
	var d time.Duration
	if _, err := fmt.Sscanf(connect, "connected %d", &d); err != nil {
		b.Fatalf("child: %q: %v", connect, err)
	}
	if _, err := fmt.Sscanf(served, "served %d %d", &ok, &failed); err != nil {
		b.Fatalf("child: %q: %v", served, err)
	}
	if ok != n || failed != 0 {
		b.Fatalf("got %d replies and %d failures in the child, want %d and 0", ok, failed, n)
	}
	// Every pipe has joined and every reply has gone out.
	deadline := time.Now().Add(10 * time.Second)
	for pipes.Live() != n || answered.Load() != int64(n) {
		if time.Now().After(deadline) {
			b.Fatalf("got %d pipes and %d requests answered, want %d", pipes.Live(), answered.Load(), n)
		}
		time.Sleep(time.Millisecond)
	}
	if got := server.Stats().Pipes; got != n {
		b.Fatalf("got %d pipes in the rep socket's stats, want %d", got, n)
	}
	heap, stacks := heapAndStacks()
	if path := os.Getenv(scaleProfile); path != "" {
		writeHeapProfile(b, path)
	}
	return scaleResult{
		heap:       (heap - heap0) / float64(n),
		stacks:     (stacks - stacks0) / float64(n),
		goroutines: float64(runtime.NumGoroutine()-goroutines) / float64(n),
		connect:    d,
		served:     took,
	}
}

// writeHeapProfile writes the heap profile of this process to path.
func writeHeapProfile(b *testing.B, path string) {
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		b.Fatal(err)
	}
}

// requesters is the child process, seen from the benchmark.
type requesters struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	lines chan string   // the child's stdout, line by line
	done  chan struct{} // closed at the end of its stdout
}

// startRequesters starts the child process, which will dial n req sockets.
func startRequesters(b *testing.B, n int) *requesters {
	exe, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^TestHelperProcess$", "-test.count=1", "-test.timeout=0")
	cmd.Env = append(os.Environ(), scaleEnv+"=1", fmt.Sprintf("%s=%d", scaleCount, n))
	cmd.Stderr = os.Stderr
	dieWithParent(cmd)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	r := &requesters{cmd: cmd, stdin: stdin, lines: make(chan string, 64), done: make(chan struct{})}
	go func() {
		defer close(r.done)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			select {
			case r.lines <- sc.Text():
			default: // nobody listens any more
			}
		}
	}()
	return r
}

// send writes a line to the child's stdin.
func (r *requesters) send(b *testing.B, line string) {
	if _, err := io.WriteString(r.stdin, line+"\n"); err != nil {
		b.Fatalf("writing to the child: %v", err)
	}
}

// expect returns the child's next line, which must start with word; the
// child reports an error on a line that starts with "error".
func (r *requesters) expect(b *testing.B, word string, timeout time.Duration) string {
	select {
	case l := <-r.lines:
		if !strings.HasPrefix(l, word) {
			b.Fatalf("child: got %q, want %q", l, word+"...")
		}
		return l
	case <-r.done:
		select {
		case l := <-r.lines:
			b.Fatalf("child: got %q, want %q", l, word+"...")
		default:
		}
		b.Fatalf("child: exited before %q", word)
	case <-time.After(timeout):
		b.Fatalf("child: no %q after %v", word, timeout)
	}
	return ""
}

// stop closes the child's stdin, on which it exits, and waits for it; it
// kills a child that has not exited after 10 s.
func (r *requesters) stop() {
	r.stdin.Close()
	select {
	case <-r.done:
	case <-time.After(10 * time.Second):
		r.cmd.Process.Kill()
		<-r.done
	}
	r.cmd.Wait()
}

// TestHelperProcess is not a test: it is the requesters' process of
// BenchmarkIdleConnections, run by the test binary run again with
// SP_REP_SCALE_HELPER=1 and SP_SCALE=N. It prints "ready", reads the rep
// socket's URL from stdin, dials N req sockets and prints "connected
// NANOSECONDS", has each make one request and prints "served REPLIES
// FAILURES", then holds the connections until its stdin ends and exits.
func TestHelperProcess(t *testing.T) {
	if os.Getenv(scaleEnv) != "1" {
		t.Skip("the requesters' process of BenchmarkIdleConnections")
	}
	os.Exit(holdRequesters(os.Stdin, os.Stdout, scale()))
}

// holdRequesters is TestHelperProcess's body; it returns the exit code.
func holdRequesters(in io.Reader, out io.Writer, n int) int {
	if _, err := raiseFDLimit(); err != nil {
		fmt.Fprintf(out, "error raising RLIMIT_NOFILE: %v\n", err)
		return 2
	}
	fmt.Fprintln(out, "ready")
	sc := bufio.NewScanner(in)
	if !sc.Scan() {
		return 1 // the benchmark gave up
	}
	url := sc.Text()
	go func() {
		for sc.Scan() {
		}
		// The benchmark is done, or gone: the kernel closes the
		// connections.
		os.Exit(0)
	}()

	start := time.Now()
	sockets := make([]sp.Socket, n)
	var next atomic.Int64
	errc := make(chan error, 64)
	for range cap(errc) { // dial 64 at a time, under the listen backlog
		go func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					errc <- nil
					return
				}
				s, err := req.NewSocket()
				if err == nil {
					err = s.Dial(url, sp.WithDialSync())
				}
				if err != nil {
					errc <- fmt.Errorf("connection %d: %w", i, err)
					return
				}
				sockets[i] = s
			}
		}()
	}
	for range cap(errc) {
		if err := <-errc; err != nil {
			fmt.Fprintf(out, "error %v\n", err)
			return 2
		}
	}
	fmt.Fprintf(out, "connected %d\n", time.Since(start))

	// All at once: the rep socket queues what it cannot answer yet.
	var ok, failed atomic.Int64
	var wg sync.WaitGroup
	for i, s := range sockets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			q := fmt.Sprintf("request %d", i)
			err := s.Send(ctx, []byte(q))
			var a []byte
			if err == nil {
				a, err = s.Recv(ctx)
			}
			if err == nil && string(a) == q {
				ok.Add(1)
			} else {
				failed.Add(1)
			}
		}()
	}
	wg.Wait()
	fmt.Fprintf(out, "served %d %d\n", ok.Load(), failed.Load())
	select {} // idle until stdin ends
}
