// Command spperf measures sp's throughput and latency. Its subcommands,
// socket type (pair v1) and output lines are those of nng's perf tools and of
// the side-by-side tools in the project's shared bench directory, so spperf,
// nngperf and rawperf can be swapped for each other on either end of the
// wire:
//
//	spperf local_thr  URL SIZE COUNT   listen, receive a warm-up then COUNT messages, print throughput
//	spperf remote_thr URL SIZE COUNT   dial, send a warm-up then COUNT messages
//	spperf local_lat  URL SIZE COUNT   listen, echo COUNT messages
//	spperf remote_lat URL SIZE COUNT   dial, time COUNT round trips, print one-way latency
//	spperf inproc_thr SIZE COUNT       both ends in one process over inproc
//	spperf inproc_lat SIZE COUNT       both ends in one process over inproc
//	spperf chan_thr   SIZE COUNT       inproc_thr's baseline: no sp, a Go channel
//	spperf chan_lat   SIZE COUNT       inproc_lat's baseline: no sp, two Go channels
//
// chan_thr and chan_lat do the work of inproc_thr and inproc_lat with no
// library, so that sp's inproc numbers can be set beside a bare channel's:
// two goroutines pass messages of SIZE bytes, each a buffer from a
// sync.Pool filled by copying one body (as inproc's sender copies the body
// into a pooled sp.Message, recycled by the receiver's Free). chan_thr sends a
// warm-up and then COUNT messages over a channel of capacity 128, the length
// of the sp run's send and receive queues, and the receiver times from the
// warm-up to the last message; chan_lat times COUNT round trips of one
// message over two channels of capacity 1 and prints half a round trip.
// They take no -pattern.
//
// Output lines, as scripts read them:
//
//	throughput: N [msg/s]
//	throughput: X [Mb/s]
//	average latency: X [us]
//
// The -inline flag makes the shapes' answering ends (rpc_server, survey_client)
// answer on the goroutines that read the requests (rep.Server.Inline,
// respondent.Server.Inline). The -cpuprofile flag writes a CPU profile of the run (go tool pprof reads
// it). The -pattern flag measures another pattern instead of pair v1: pair (v0),
// pipeline (push/pull, throughput only), reqrep (latency only), pubsub and
// bus (throughput only; these drop what a slow receiver cannot take, so the
// receiver stops one second after the last message and reports what came).
//
// The service shapes of issue #17 (rpc_server, rpc_client, survey_server,
// survey_client, fanout_server, fanout_client, fanin_server, fanin_client)
// are described in shapes.go; bench/shapes.sh runs them beside nng and mangos.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"strconv"
	"syscall"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func usage(w io.Writer) {
	fmt.Fprintln(w, `usage: spperf [-pattern P] local_thr|remote_thr|local_lat|remote_lat URL SIZE COUNT
       spperf [-pattern P] inproc_thr|inproc_lat SIZE COUNT
       spperf chan_thr|chan_lat SIZE COUNT   (baselines: a bare Go channel, no sp)
       spperf rpc_server|rpc_client|survey_server|...  (the service shapes: see shapes.go)
patterns: pair1 (default), pair, pipeline, reqrep, pubsub, bus`)
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("spperf", flag.ContinueOnError)
	fs.SetOutput(stderr)
	pattern := fs.String("pattern", "pair1", "pattern to measure: pair1, pair, pipeline, reqrep, pubsub, bus")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the run to this `file`")
	inline := fs.Bool("inline", false, "shapes: rpc_server and survey_client answer inline (rep.Server.Inline, respondent.Server.Inline)")
	fs.Usage = func() { usage(stderr) }
	if err := fs.Parse(args); err != nil {
		return 2
	}
	args = fs.Args()
	if len(args) < 1 {
		usage(stderr)
		return 2
	}
	mode := args[0]
	if _, ok := shapes[mode]; ok {
		stop, err := startProfile(*cpuprofile)
		if err != nil {
			fmt.Fprintln(stderr, "spperf:", err)
			return 1
		}
		defer stop()
		// The end that does not measure runs until it is killed: a
		// SIGTERM or SIGINT ends it cleanly, profile written.
		ctx, cancel := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
		defer cancel()
		if *inline {
			ctx = context.WithValue(ctx, inlineKey{}, true)
		}
		return runShape(ctx, mode, args[1:], stdout, stderr)
	}
	p, ok := patterns[*pattern]
	if !ok {
		fmt.Fprintf(stderr, "spperf: unknown pattern %q\n", *pattern)
		return 2
	}
	url := ""
	nums := args[1:]
	switch mode {
	case "inproc_thr", "inproc_lat":
		url = "inproc://spperf"
	case "chan_thr", "chan_lat":
		patternSet := false
		fs.Visit(func(f *flag.Flag) { patternSet = patternSet || f.Name == "pattern" })
		if patternSet {
			fmt.Fprintf(stderr, "spperf: %s measures a bare channel: it takes no -pattern\n", mode)
			return 2
		}
	case "local_thr", "remote_thr", "local_lat", "remote_lat":
		if len(nums) > 0 {
			url, nums = nums[0], nums[1:]
		}
	default:
		fmt.Fprintf(stderr, "spperf: unknown mode %q\n", mode)
		usage(stderr)
		return 2
	}
	if len(nums) != 2 {
		usage(stderr)
		return 2
	}
	size, err1 := strconv.Atoi(nums[0])
	count, err2 := strconv.Atoi(nums[1])
	if err1 != nil || err2 != nil || size < 0 || count < 1 {
		fmt.Fprintln(stderr, "spperf: SIZE must be a number >= 0 and COUNT a number >= 1")
		return 2
	}
	r := runner{p: p, url: url, size: size, count: count, out: stdout}
	stop, err := startProfile(*cpuprofile)
	if err != nil {
		fmt.Fprintln(stderr, "spperf:", err)
		return 1
	}
	defer stop()
	switch mode {
	case "local_thr":
		err = r.localThr()
	case "remote_thr":
		err = r.remoteThr()
	case "local_lat":
		err = r.localLat()
	case "remote_lat":
		err = r.remoteLat()
	case "inproc_thr":
		err = r.inproc(r.localThr, r.remoteThr)
	case "inproc_lat":
		err = r.inproc(r.localLat, r.remoteLat)
	case "chan_thr":
		err = r.chanThr()
	case "chan_lat":
		err = r.chanLat()
	}
	if err != nil {
		fmt.Fprintln(stderr, "spperf:", err)
		return 1
	}
	return 0
}

// startProfile starts a CPU profile written to file, if file is not empty,
// and returns what stops it.
func startProfile(file string) (stop func(), err error) {
	if file == "" {
		return func() {}, nil
	}
	f, err := os.Create(file)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}
