// Package leaktest checks that tests do not leave goroutines running, nor
// lose pooled messages.
//
// It takes a snapshot of the goroutines alive before a test (or before the
// whole test binary runs), and after it polls runtime.Stack for a grace period
// until every goroutine that was not in the snapshot has exited. Goroutines
// that belong to the runtime and to the testing harness are ignored.
//
// It also tracks who holds each pooled sp.Message (see internal/msgtrack):
// one that the library took over (SendMsg accepted it, a transport read it)
// and then dropped without Free is lost to the pool. After the tests it
// collects garbage and reports each such message with where it passed to
// the library last. A message the application held last (one it made, or
// one RecvMsg gave it) may be dropped, and is not reported. Tracking is off
// in a test binary that runs benchmarks or fuzzes.
//
// Use VerifyTestMain in every test package:
//
//	func TestMain(m *testing.M) { leaktest.VerifyTestMain(m) }
//
// and, for a finer-grained report, Check (goroutines) or CheckMessages
// (messages) in a single test:
//
//	t.Cleanup(leaktest.Check(t))  // runs after the test's other cleanups
//	defer leaktest.Check(t)()     // runs before the test's cleanups
//	t.Cleanup(leaktest.CheckMessages(t))
//
// Prefer the t.Cleanup form when the test registers cleanups that stop
// goroutines (closing sockets, killing peer processes): cleanups run after
// deferred calls, in reverse order of registration, so registering Check first
// makes it run last. Check cannot tell the goroutines of the current test from
// those started meanwhile by parallel tests (t.Parallel), so do not use it in
// tests that run in parallel with others; VerifyTestMain has no such limit.
package leaktest

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/spgo/sp/internal/msgtrack"
)

// maxWait is how long the checks wait for new goroutines to exit. Tests of
// this package shorten it.
var maxWait = 5 * time.Second

// ignoredEntries are the entry functions (the outermost frame) of goroutines
// that belong to the runtime or the testing harness.
var ignoredEntries = []string{
	"testing.tRunner",
	"testing.(*T).Run",
	"testing.(*M).",
	"testing.runTests",
	"testing.runFuzzTests",
	"testing.runFuzzing",
	"testing.(*F).Fuzz",
	"os/signal.loop",
	"os/signal.signal_recv",
	"main.main",
}

// goroutine is one goroutine of a runtime.Stack dump.
type goroutine struct {
	id      uint64
	entry   string // outermost function, without arguments
	creator string // function from the "created by" line, if any
	stack   string // the goroutine's whole block in the dump
}

// VerifyTestMain runs m and then fails (exit code 1, listing the leaked
// goroutines' stacks) if goroutines that were not there before m.Run are
// still alive after a grace period (poll up to ~5 s), or (with where each
// passed to the library) if pooled messages were lost: dropped without Free
// while the library held them. It turns message tracking on before m.Run,
// unless the binary runs benchmarks or fuzzes. If the tests themselves
// failed, it exits with their code without checking, since a failed test
// often leaves goroutines behind on purpose or by accident.
func VerifyTestMain(m *testing.M) {
	if !flag.Parsed() {
		flag.Parse() // as m.Run would: startTracking reads -test.bench
	}
	startTracking()
	os.Exit(verifyMain(m, os.Stderr))
}

// runner is the part of *testing.M that verifyMain uses.
type runner interface {
	Run() int
}

// verifyMain is VerifyTestMain without the exit, and without turning
// message tracking on (it checks messages if tracking is on), for testing.
func verifyMain(m runner, stderr io.Writer) int {
	before := snapshot()
	since := msgtrack.Now()
	code := m.Run()
	if code != 0 {
		return code
	}
	if leaked := waitForLeaks(before); len(leaked) > 0 {
		fmt.Fprintf(stderr, "leaktest: tests passed, but %s\n", report(leaked))
		return 1
	}
	if !msgtrack.Enabled() {
		return code
	}
	if n, losses := lostMessages(since); n > 0 {
		fmt.Fprintf(stderr, "leaktest: tests passed, but %s\n", messageReport(n, losses))
		return 1
	}
	return code
}

// Check records the goroutines running now and returns a function that,
// called at the end of a test (typically `defer leaktest.Check(t)()`), fails t
// if new goroutines are still alive after a grace period (poll up to ~5 s).
func Check(t testing.TB) func() {
	t.Helper()
	before := snapshot()
	return func() {
		t.Helper()
		if leaked := waitForLeaks(before); len(leaked) > 0 {
			t.Errorf("leaktest: %s", report(leaked))
		}
	}
}

// snapshot returns the IDs of the goroutines running now.
func snapshot() map[uint64]bool {
	ids := make(map[uint64]bool)
	for _, g := range goroutines() {
		ids[g.id] = true
	}
	return ids
}

// waitForLeaks polls until no goroutine outside before (and not ignored) is
// left, or maxWait has passed; it returns the ones still alive then.
func waitForLeaks(before map[uint64]bool) []goroutine {
	deadline := time.Now().Add(maxWait)
	pause := time.Millisecond
	for {
		leaked := leaks(before)
		if len(leaked) == 0 || !time.Now().Before(deadline) {
			return leaked
		}
		if left := time.Until(deadline); pause > left {
			pause = left
		}
		time.Sleep(pause)
		if pause < 100*time.Millisecond {
			pause *= 2
		}
	}
}

// leaks returns the goroutines alive now that are neither in before, nor the
// caller, nor ignored.
func leaks(before map[uint64]bool) []goroutine {
	var out []goroutine
	for i, g := range goroutines() {
		if i == 0 || before[g.id] || ignored(g) {
			continue // the dump lists the calling goroutine first
		}
		out = append(out, g)
	}
	return out
}

// ignored reports whether g belongs to the runtime or the testing harness:
// its entry function is the runtime's or in ignoredEntries, or the testing
// package started it.
func ignored(g goroutine) bool {
	if strings.HasPrefix(g.entry, "runtime.") || strings.HasPrefix(g.creator, "testing.") {
		return true
	}
	for _, e := range ignoredEntries {
		if strings.HasPrefix(g.entry, e) {
			return true
		}
	}
	return false
}

// report describes leaked goroutines for a failure message.
func report(leaked []goroutine) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d goroutine(s) still running after %v:\n", len(leaked), maxWait)
	for _, g := range leaked {
		b.WriteString("\n")
		b.WriteString(g.stack)
		b.WriteString("\n")
	}
	return b.String()
}

// goroutines returns every goroutine, the calling one first.
func goroutines() []goroutine {
	return parse(stacks())
}

// stacks returns runtime.Stack for all goroutines, growing the buffer until
// the dump fits.
func stacks() []byte {
	buf := make([]byte, 64<<10)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			return buf[:n]
		}
		buf = make([]byte, 2*len(buf))
	}
}

// parse splits a runtime.Stack dump into goroutines. Blocks it cannot read
// are skipped.
func parse(dump []byte) []goroutine {
	var out []goroutine
	for _, block := range bytes.Split(bytes.TrimSpace(dump), []byte("\n\n")) {
		if g, ok := parseBlock(string(block)); ok {
			out = append(out, g)
		}
	}
	return out
}

// parseBlock reads one goroutine's block, which looks like:
//
//	goroutine 7 [chan receive]:
//	main.worker(0xc000012345)
//		/src/main.go:12 +0x1d
//	created by main.main in goroutine 1
//		/src/main.go:7 +0x2f
func parseBlock(block string) (goroutine, bool) {
	lines := strings.Split(block, "\n")
	head, ok := strings.CutPrefix(lines[0], "goroutine ")
	if !ok {
		return goroutine{}, false
	}
	idText, _, _ := strings.Cut(head, " ")
	id, err := strconv.ParseUint(idText, 10, 64)
	if err != nil {
		return goroutine{}, false
	}
	g := goroutine{id: id, stack: block}
	for _, line := range lines[1:] {
		if line == "" || strings.HasPrefix(line, "\t") || strings.HasPrefix(line, "...") {
			continue // file:line, or elided frames
		}
		if creator, ok := strings.CutPrefix(line, "created by "); ok {
			g.creator, _, _ = strings.Cut(creator, " in goroutine ")
			break
		}
		// A goroutine that has not started yet shows runtime.goexit below
		// its entry function.
		if name := funcName(line); name != "runtime.goexit" {
			g.entry = name
		}
	}
	return g, true
}

// funcName strips the argument list from a frame line such as
// "testing.(*T).Run(0xc000102340, {0x5a1b2c, 0x4})".
func funcName(line string) string {
	if strings.HasSuffix(line, ")") {
		if i := strings.LastIndex(line, "("); i > 0 {
			return line[:i]
		}
	}
	return line
}
