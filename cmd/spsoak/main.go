// Command spsoak runs mixed traffic of every pattern at once, over inproc,
// ipc and tcp, for a set time, and watches the process's memory and
// goroutines for growth: a soak test.
//
//	go run ./cmd/spsoak -duration 10m -interval 30s
//
// Patterns, on each transport: req/rep with contexts (4 requester and 4
// replier contexts), pub/sub, push/pull, surveyor/respondent (2
// respondents), bus (3 members in a mesh) and pair1 (ping-pong).
//
// At each interval it prints one line:
//
//	t=30s heap_inuse=3.1MiB goroutines=212 req/rep=10423 pub/sub=... push/pull=... survey=... bus=... pair1=... errors=0
//
// with the heap in use (after a GC), the number of goroutines, the
// messages each pattern moved since the start (all transports together) and
// the count of unexpected errors. At the end it prints a "result:" line that
// compares the heap and goroutines at the end with those after the first
// minute (or after the first interval, if the run is shorter than two
// minutes), and exits with status 1 if either grew by more than 10%, or if
// any error happened; 2 for bad flags or a setup failure.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"time"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout))
}

// sample is one measurement of the process.
type sample struct {
	heap       uint64
	goroutines int
}

// measure returns the smallest heap in use and goroutine count of three
// readings after a GC, so that a burst of messages in flight does not read
// as growth.
func measure() sample {
	var s sample
	for i := range 3 {
		if i > 0 {
			time.Sleep(50 * time.Millisecond)
		}
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		g := runtime.NumGoroutine()
		if i == 0 || ms.HeapInuse < s.heap {
			s.heap = ms.HeapInuse
		}
		if i == 0 || g < s.goroutines {
			s.goroutines = g
		}
	}
	return s
}

func mib(b uint64) string { return fmt.Sprintf("%.1fMiB", float64(b)/(1<<20)) }

func run(args []string, out io.Writer) int {
	fs := flag.NewFlagSet("spsoak", flag.ContinueOnError)
	fs.SetOutput(out)
	duration := fs.Duration("duration", 10*time.Minute, "how long to run")
	interval := fs.Duration("interval", 30*time.Second, "how often to print a report")
	maxGrowth := fs.Float64("max-growth", 10, "allowed growth of heap and goroutines, in percent")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *duration <= 0 || *interval <= 0 || *interval > *duration {
		fmt.Fprintln(out, "spsoak: want 0 < -interval <= -duration")
		return 2
	}
	baseAt := *interval
	if *duration >= 2*time.Minute {
		baseAt = time.Minute
	}

	ctx, cancel := context.WithCancel(context.Background())
	h, err := start(ctx)
	if err != nil {
		cancel()
		fmt.Fprintf(out, "spsoak: setup: %v\n", err)
		return 2
	}
	fmt.Fprintf(out, "spsoak: %d patterns over %s for %v, reporting every %v\n",
		len(patternNames), strings.Join(transports, ", "), *duration, *interval)

	begin := time.Now()
	var base *sample
	tick := time.NewTicker(*interval)
	end := time.NewTimer(*duration)
	var last sample
	for done := false; !done; {
		select {
		case <-tick.C:
			done = time.Since(begin) > *duration-*interval/10 // the last tick is the end
		case <-end.C:
			done = true
		}
		el := time.Since(begin).Round(time.Second)
		last = measure()
		fmt.Fprintf(out, "t=%v heap_inuse=%s goroutines=%d %s errors=%d\n",
			el, mib(last.heap), last.goroutines, h.counts(), h.errs.Load())
		if base == nil && el >= baseAt-time.Second {
			b := last
			base = &b
		}
	}
	tick.Stop()
	cancel()
	h.stop()

	if base == nil {
		base = &last
	}
	heapGrowth := 100 * (float64(last.heap) - float64(base.heap)) / float64(base.heap)
	gGrowth := 100 * (float64(last.goroutines) - float64(base.goroutines)) / float64(base.goroutines)
	ok := heapGrowth <= *maxGrowth && gGrowth <= *maxGrowth && h.errs.Load() == 0
	verdict := "PASS"
	if !ok {
		verdict = "FAIL"
	}
	fmt.Fprintf(out, "result: heap_inuse %s -> %s (%+.1f%%) goroutines %d -> %d (%+.1f%%) errors=%d limit=%.0f%% %s\n",
		mib(base.heap), mib(last.heap), heapGrowth, base.goroutines, last.goroutines, gGrowth,
		h.errs.Load(), *maxGrowth, verdict)
	for _, e := range h.firstErrors() {
		fmt.Fprintf(out, "error: %s\n", e)
	}
	if !ok {
		return 1
	}
	return 0
}
