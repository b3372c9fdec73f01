package leaktest

import (
	"cmp"
	"flag"
	"fmt"
	"runtime"
	"runtime/metrics"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spgo/sp/internal/msgtrack"
)

// The message check: a pooled message the library took over (SendMsg
// accepted it, a transport read it) and then dropped without Free is lost
// to the pool. internal/msgtrack follows each message while tracking is on
// and counts those the garbage collector finds unreachable while the
// library held them; the checks collect garbage until those cleanups have
// run, and report where each lost message passed to the library last.
// A message the application held last (one it made, or one RecvMsg gave
// it) may be dropped: it is not reported.

// collectCycles is how many collections a check makes: a lost message
// reachable only from an object with a finalizer, or from another lost
// message's buffer, is found unreachable one cycle later.
const collectCycles = 3

// startTracking turns message tracking on, unless the test binary runs
// benchmarks or fuzzes (which must measure, and run, sp as it is), and
// reports whether it is on. Flags must be parsed.
func startTracking() bool {
	for _, name := range []string{"test.bench", "test.fuzz"} {
		if f := flag.Lookup(name); f != nil && f.Value.String() != "" {
			return msgtrack.Enabled()
		}
	}
	msgtrack.Enable()
	return true
}

// CheckMessages returns a function that, called at the end of a test
// (typically `t.Cleanup(leaktest.CheckMessages(t))`), fails t if pooled
// messages were lost meanwhile: dropped without Free while the library
// held them. It collects garbage before and after, so that what earlier
// tests lost is not blamed on this one; like Check, it cannot tell the
// test's losses from those of tests running in parallel. It checks nothing
// in a test binary that runs benchmarks or fuzzes.
func CheckMessages(t testing.TB) func() {
	t.Helper()
	if !startTracking() {
		return func() {}
	}
	collect()
	since := msgtrack.Now()
	return func() {
		t.Helper()
		collect()
		if n, losses := msgtrack.Claim(since); n > 0 {
			t.Errorf("leaktest: %s", messageReport(n, losses))
		}
	}
}

// lostMessages collects garbage and returns how many messages were lost
// since the mark, and where.
func lostMessages(since msgtrack.Mark) (int, []msgtrack.Loss) {
	collect()
	return msgtrack.Claim(since)
}

// collect runs the garbage collector and waits for the cleanups it queued,
// collectCycles times, waiting for each at most maxWait.
func collect() {
	for range collectCycles {
		done := sentinel()
		runtime.GC() // it sweeps, and so queues every cleanup due, before it returns
		waitCleanups(done, time.Now().Add(maxWait))
	}
}

// sentinel returns a channel closed by the cleanup of an object that is
// unreachable at once.
//
//go:noinline
func sentinel() <-chan struct{} {
	done := make(chan struct{})
	p := new([64]byte) // not a tiny allocation, which may never be collected
	runtime.AddCleanup(p, func(c chan struct{}) { close(c) }, done)
	return done
}

// cleanupStats are the runtime's counts of cleanups queued and run.
var cleanupStats = [...]string{"/gc/cleanups/queued:cleanups", "/gc/cleanups/executed:cleanups"}

// waitCleanups waits until the cleanups queued so far have run, or until
// deadline: until done is closed and, where the runtime counts cleanups,
// until it has run as many as were queued.
func waitCleanups(done <-chan struct{}, deadline time.Time) {
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	select {
	case <-done:
	case <-timer.C:
		return
	}
	s := make([]metrics.Sample, len(cleanupStats))
	for i, name := range cleanupStats {
		s[i].Name = name
	}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 || s[1].Value.Kind() != metrics.KindUint64 {
		return // the sentinel's cleanup has run: the rest, as a rule, too
	}
	queued := s[0].Value.Uint64()
	for pause := 100 * time.Microsecond; s[1].Value.Uint64() < queued && time.Now().Before(deadline); pause = min(2*pause, 10*time.Millisecond) {
		time.Sleep(pause)
		metrics.Read(s[1:])
	}
}

// messageReport describes n lost messages, of which losses were kept, for
// a failure message: one stack per site where they passed to the library,
// the most frequent first.
func messageReport(n int, losses []msgtrack.Loss) string {
	losses = slices.Clone(losses)
	slices.SortStableFunc(losses, func(a, b msgtrack.Loss) int { return cmp.Compare(b.Count, a.Count) })
	var b strings.Builder
	fmt.Fprintf(&b, "%d pooled message(s) dropped without Free while the library held them (lost to the pool); where they passed to the library last:\n", n)
	kept := 0
	for _, l := range losses {
		fmt.Fprintf(&b, "\n%d message(s) taken over at:\n", l.Count)
		writeStack(&b, l.Stack)
		kept += l.Count
	}
	if k := n - kept; k > 0 {
		fmt.Fprintf(&b, "\nand %d more, from other sites\n", k)
	}
	return b.String()
}

// writeStack writes the frames of pcs as runtime.Stack does: the function,
// then its file and line, indented.
func writeStack(b *strings.Builder, pcs []uintptr) {
	if len(pcs) == 0 {
		b.WriteString("(no stack recorded)\n")
		return
	}
	frames := runtime.CallersFrames(pcs)
	for {
		f, more := frames.Next()
		fmt.Fprintf(b, "%s\n\t%s:%d\n", f.Function, f.File, f.Line)
		if !more {
			return
		}
	}
}
