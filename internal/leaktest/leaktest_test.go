package leaktest

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestMain(m *testing.M) { VerifyTestMain(m) }

// fakeTB records failures instead of failing the real test.
type fakeTB struct {
	testing.TB // nil: calling a method not overridden below panics
	mu         sync.Mutex
	errors     []string
}

func (f *fakeTB) Helper() {}

func (f *fakeTB) Errorf(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.errors = append(f.errors, fmt.Sprintf(format, args...))
}

func (f *fakeTB) Error(args ...any) { f.Errorf("%s", fmt.Sprint(args...)) }

func (f *fakeTB) failures() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.errors...)
}

// shortWait shortens the grace period for the duration of a test.
func shortWait(t *testing.T, d time.Duration) {
	old := maxWait
	maxWait = d
	t.Cleanup(func() { maxWait = old })
}

// leakyWorker blocks until release is closed; its name shows in the report.
func leakyWorker(release <-chan struct{}, done *sync.WaitGroup) {
	defer done.Done()
	<-release
}

func TestCheckReportsLeak(t *testing.T) {
	shortWait(t, 100*time.Millisecond)
	release := make(chan struct{})
	var done sync.WaitGroup

	fake := &fakeTB{}
	verify := Check(fake)
	done.Add(1)
	go leakyWorker(release, &done)
	start := time.Now()
	verify()
	if elapsed := time.Since(start); elapsed < maxWait {
		t.Errorf("Check gave up after %v, before the grace period of %v", elapsed, maxWait)
	}
	close(release)
	done.Wait()

	failures := fake.failures()
	if len(failures) != 1 {
		t.Fatalf("want 1 failure for the leaked goroutine, got %d: %q", len(failures), failures)
	}
	if !strings.Contains(failures[0], "leakyWorker") {
		t.Errorf("failure does not show the leaked goroutine's stack:\n%s", failures[0])
	}

	// With the goroutine gone, a fresh check passes.
	clean := &fakeTB{}
	Check(clean)()
	if f := clean.failures(); len(f) != 0 {
		t.Errorf("clean check failed: %q", f)
	}
}

func TestCheckWaitsForGoroutineToExit(t *testing.T) {
	shortWait(t, 5*time.Second)
	fake := &fakeTB{}
	verify := Check(fake)
	release := make(chan struct{})
	var done sync.WaitGroup
	done.Add(1)
	go leakyWorker(release, &done)
	timer := time.AfterFunc(50*time.Millisecond, func() { close(release) })
	defer timer.Stop()
	verify()
	if f := fake.failures(); len(f) != 0 {
		t.Errorf("goroutine that exits within the grace period reported: %q", f)
	}
	done.Wait()
}

func TestCheckIgnoresGoroutinesFromSnapshot(t *testing.T) {
	shortWait(t, 50*time.Millisecond)
	release := make(chan struct{})
	var done sync.WaitGroup
	done.Add(1)
	go leakyWorker(release, &done)
	defer func() { close(release); done.Wait() }()

	fake := &fakeTB{}
	Check(fake)() // the worker was there before Check
	if f := fake.failures(); len(f) != 0 {
		t.Errorf("pre-existing goroutine reported: %q", f)
	}
}

func TestCheckIgnoresSubtests(t *testing.T) {
	shortWait(t, 50*time.Millisecond)
	fake := &fakeTB{}
	verify := Check(fake)
	t.Run("parallel", func(t *testing.T) {
		t.Parallel() // paused in testing.tRunner until this test returns
	})
	verify()
	if f := fake.failures(); len(f) != 0 {
		t.Errorf("harness goroutine reported: %q", f)
	}
}

// fakeM stands in for *testing.M.
type fakeM struct{ run func() int }

func (m fakeM) Run() int { return m.run() }

func TestVerifyMain(t *testing.T) {
	shortWait(t, 100*time.Millisecond)
	release := make(chan struct{})
	var done sync.WaitGroup
	defer func() { close(release); done.Wait() }()

	var out bytes.Buffer
	code := verifyMain(fakeM{func() int {
		done.Add(1)
		go leakyWorker(release, &done)
		return 0
	}}, &out)
	if code != 1 {
		t.Errorf("leaking run: exit code %d, want 1", code)
	}
	if !strings.Contains(out.String(), "leakyWorker") {
		t.Errorf("report does not show the leaked goroutine:\n%s", out.String())
	}

	out.Reset()
	if code := verifyMain(fakeM{func() int { return 0 }}, &out); code != 0 || out.Len() != 0 {
		t.Errorf("clean run: exit code %d, output %q; want 0 and nothing", code, out.String())
	}
	if code := verifyMain(fakeM{func() int { return 3 }}, &out); code != 3 {
		t.Errorf("failed run: exit code %d, want 3", code)
	}
}

func TestParseBlock(t *testing.T) {
	block := "goroutine 42 [chan receive, 3 minutes]:\n" +
		"example.com/p.(*Pool).worker(0xc000012345, {0x5a1b2c, 0x4})\n" +
		"\t/src/p/pool.go:12 +0x1d\n" +
		"...additional frames elided...\n" +
		"example.com/p.start.func1()\n" +
		"\t/src/p/pool.go:30 +0x2f\n" +
		"created by example.com/p.start in goroutine 7\n" +
		"\t/src/p/pool.go:29 +0x55"
	g, ok := parseBlock(block)
	if !ok || g.id != 42 || g.entry != "example.com/p.start.func1" || g.creator != "example.com/p.start" {
		t.Errorf("parseBlock = %+v, %v; want id 42, entry example.com/p.start.func1, creator example.com/p.start", g, ok)
	}
	notStarted := "goroutine 20 [runnable]:\n" +
		"example.com/p.TestX.gowrap1()\n" +
		"\t/src/p/x_test.go:8\n" +
		"runtime.goexit({})\n" +
		"\t/usr/local/go/src/runtime/asm_amd64.s:1771 +0x1\n" +
		"created by example.com/p.TestX in goroutine 19\n" +
		"\t/src/p/x_test.go:8 +0x197"
	if g, _ := parseBlock(notStarted); g.entry != "example.com/p.TestX.gowrap1" || ignored(g) {
		t.Errorf("goroutine not started yet: entry %q, ignored %v; want example.com/p.TestX.gowrap1, false", g.entry, ignored(g))
	}
	if _, ok := parseBlock("not a goroutine"); ok {
		t.Error("parseBlock accepted garbage")
	}
	for _, entry := range []string{"testing.tRunner", "runtime.gcBgMarkWorker", "os/signal.loop", "testing.(*M).startAlarm.func1"} {
		if !ignored(goroutine{entry: entry}) {
			t.Errorf("%s not ignored", entry)
		}
	}
	if !ignored(goroutine{entry: "testing.(*T).Run.gowrap1", creator: "testing.(*T).Run"}) {
		t.Error("subtest not started yet not ignored")
	}
	if ignored(goroutine{entry: "example.com/p.start.func1", creator: "example.com/p.start"}) {
		t.Error("user goroutine ignored")
	}
}
