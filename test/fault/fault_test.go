//go:build linux

package fault_test

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// A fault is applied to a running scenario and later undone: loss or delay
// on the link (impair: netem, or the relay where there is no netem), or
// apply's. listener-killed kills and restarts the far side's listener
// process (for push/pull: one of the two pullers).
type fault struct {
	name   string
	impair *impairment
	apply  func(t *testing.T, l *link, sc *scenario) (restore func())
}

var faults = []fault{
	{name: "loss-5%", impair: &impairment{loss: 0.05}},
	{name: "delay-100ms", impair: &impairment{delay: 100 * time.Millisecond}},
	{name: "link-cut", apply: func(t *testing.T, l *link, _ *scenario) func() { return l.cut(t) }},
	{name: "listener-killed", apply: func(t *testing.T, l *link, sc *scenario) func() {
		sc.servers[0].kill()
		return func() { sc.servers[0] = sc.startServer(t, 0) }
	}},
}

const (
	maxRun    = "90" // seconds a client runs at most, if never stopped
	faultAt   = 1500 * time.Millisecond
	faultHold = 3 * time.Second
	// A client runs on for runAfter once it has recovered from the fault,
	// which it must within recoverLimit of the fault's undoing.
	runAfter     = 2 * time.Second
	recoverLimit = 30 * time.Second
)

// scenario is a pattern running across the link: listeners in the far
// namespace, the near side dialing them.
type scenario struct {
	l       *link
	role    string // of the far side
	urls    []string
	servers []*proc
	old     []*proc   // killed servers, whose output still counts
	applied time.Time // when the fault was applied
}

func (sc *scenario) startServer(t *testing.T, i int) *proc {
	p := start(t, sc.l.b, sc.role, sc.urls[i])
	p.wait(t, "ready", 10*time.Second)
	return p
}

func newScenario(t *testing.T, role string, n int, f fault) *scenario {
	sc := &scenario{l: newLink(t, f.impair != nil), role: role}
	for i := range n {
		sc.urls = append(sc.urls, fmt.Sprintf("tcp://%s:%d", sc.l.farIP, 5555+i))
		sc.servers = append(sc.servers, sc.startServer(t, i))
	}
	return sc
}

// inject waits, applies f, holds it, undoes it, and returns when it was undone.
func (sc *scenario) inject(t *testing.T, f fault) time.Time {
	time.Sleep(faultAt)
	old := sc.servers[0]
	sc.applied = time.Now()
	var restore func()
	if f.impair != nil {
		restore = sc.l.impair(t, *f.impair)
	} else {
		restore = f.apply(t, sc.l, sc)
	}
	time.Sleep(faultHold)
	restore()
	if sc.servers[0] != old {
		sc.old = append(sc.old, old)
	}
	t.Logf("%s applied for %v", f.name, faultHold)
	return time.Now()
}

// finish lets client c run until it makes progress after restored (a
// "<word> N at MS" line after it with a count above the one before), then
// for runAfter, and stops it. A client that makes none within recoverLimit
// fails the test (and is stopped all the same, for its result).
func finish(t *testing.T, c *proc, restored time.Time) {
	t.Helper()
	deadline := time.Now().Add(recoverLimit)
	for {
		before, last := progressAfter(c.lines(), restored)
		if last > before {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("no progress within %v after the fault was undone (%d then %d)", recoverLimit, before, last)
			c.stop()
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(runAfter)
	c.stop()
}

var (
	reResult = regexp.MustCompile(`(\w+)=(\d+)`)
	reAt     = regexp.MustCompile(`^\w+ (\d+) at (\d+)$`)
)

// fields parses "result a=1 b=2".
func fields(line string) map[string]int {
	m := map[string]int{}
	for _, kv := range reResult.FindAllStringSubmatch(line, -1) {
		m[kv[1]], _ = strconv.Atoi(kv[2])
	}
	return m
}

// progress is one "<word> N at MS" line: a count and when it was taken.
type progress struct {
	n  int
	at int64 // Unix milliseconds
}

// progressLines returns the "<word> N at MS" lines among lines, in order.
func progressLines(lines []string) []progress {
	var ps []progress
	for _, l := range lines {
		m := reAt.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		n, _ := strconv.Atoi(m[1])
		at, _ := strconv.ParseInt(m[2], 10, 64)
		ps = append(ps, progress{n, at})
	}
	return ps
}

// progressAfter returns the counts of "<word> N at MS" lines at the last
// line before t and at the last line.
func progressAfter(lines []string, t time.Time) (before, last int) {
	for _, p := range progressLines(lines) {
		if p.at <= t.UnixMilli() {
			before = p.n
		}
		last = p.n
	}
	return before, last
}

// during returns by how much the count of "<word> N at MS" lines grew
// between the first line at or after from and the last line before to.
func during(lines []string, from, to time.Time) int {
	first, last := -1, 0
	for _, p := range progressLines(lines) {
		if p.at >= from.UnixMilli() && first < 0 {
			first = p.n
		}
		if p.at <= to.UnixMilli() {
			last = p.n
		}
	}
	return max(0, last-first)
}

func TestFaults(t *testing.T) {
	for _, f := range faults {
		t.Run("req-rep/"+f.name, func(t *testing.T) {
			t.Parallel()
			sc := newScenario(t, "rep", 1, f)
			c := start(t, sc.l.a, "req", sc.urls[0], maxRun)
			c.wait(t, "ready", 10*time.Second)
			restored := sc.inject(t, f)
			finish(t, c, restored)
			r := fields(c.wait(t, "result", 60*time.Second))
			held := during(c.lines(), sc.applied, restored)
			t.Logf("req/rep under %s: %v, %d replied while it held", f.name, r, held)
			if f.impair != nil && held == 0 {
				t.Errorf("no reply while %s held", f.name)
			}
			if r["failed"] != 0 || r["replied"] != r["sent"] || r["sent"] == 0 {
				t.Errorf("not every request got its reply: %v\n%s", r, tail(c.lines()))
			}
		})
		t.Run("pub-sub/"+f.name, func(t *testing.T) {
			t.Parallel()
			sc := newScenario(t, "pub", 1, f)
			c := start(t, sc.l.a, "sub", sc.urls[0], maxRun)
			c.wait(t, "ready", 10*time.Second)
			restored := sc.inject(t, f)
			finish(t, c, restored)
			r := fields(c.wait(t, "result", 60*time.Second))
			held := during(c.lines(), sc.applied, restored)
			_, pubDropped := progressAfter(sc.servers[0].lines(), time.Now()) // its last "dropped N at MS"
			t.Logf("pub/sub under %s: %v, %d received while it held, publisher dropped %d", f.name, r, held, pubDropped)
			if f.impair != nil && held == 0 {
				t.Errorf("the subscriber got nothing while %s held", f.name)
			}
			switch f.name {
			case "loss-5%", "delay-100ms": // tcp hides both: nothing may be lost
				if r["dropped"] != 0 || pubDropped != 0 {
					t.Errorf("a queue of burstQueue overflowed: the publisher dropped %d, the subscriber %d: %v", pubDropped, r["dropped"], r)
				}
				if r["gaps"] != 0 || r["restarts"] != 0 {
					t.Errorf("messages were lost: %v", r)
				}
			case "listener-killed":
				if r["restarts"] == 0 {
					t.Errorf("never heard the restarted publisher: %v", r)
				}
			}
		})
		t.Run("push-pull/"+f.name, func(t *testing.T) { pushPull(t, f) })
	}
}

// pushPull: a pusher feeds two pullers. Under link faults nothing may be
// lost. When a puller dies, what may be lost is what push had queued to it
// or was in flight to it: messages whose Send returned before push saw the
// pipe go ("removed after=N"); every later one must reach a puller.
func pushPull(t *testing.T, f fault) {
	t.Parallel()
	sc := newScenario(t, "pull", 2, f)
	c := start(t, sc.l.a, "push", append([]string{maxRun}, sc.urls...)...)
	c.wait(t, "ready", 10*time.Second)
	sc.inject(t, f)
	time.Sleep(runAfter) // the pullers' output tells whether all came
	c.stop()
	sent := fields(c.wait(t, "result", 60*time.Second))["sent"]

	var got map[int]int
	for prev, deadline := -1, time.Now().Add(15*time.Second); ; {
		got = map[int]int{}
		for _, p := range append(sc.old, sc.servers...) {
			for _, l := range p.lines() {
				if s, ok := strings.CutPrefix(l, "got "); ok {
					n, _ := strconv.Atoi(s)
					got[n]++
				}
			}
		}
		if len(got) == sent || len(got) == prev || time.Now().After(deadline) {
			break // all in, or nothing more came in a second
		}
		prev = len(got)
		time.Sleep(time.Second)
	}
	removedAfter := 0
	for _, l := range c.lines() {
		if s, ok := strings.CutPrefix(l, "removed after="); ok {
			removedAfter, _ = strconv.Atoi(s)
		}
	}
	var lost, late []int
	for n := 1; n <= sent; n++ {
		if got[n] > 1 {
			t.Errorf("message %d delivered %d times", n, got[n])
		}
		if got[n] == 0 {
			lost = append(lost, n)
			if f.name != "listener-killed" || n > removedAfter {
				late = append(late, n)
			}
		}
	}
	t.Logf("push/pull under %s: sent %d, received %d, lost %d (the dead puller's pipe left after %d)",
		f.name, sent, len(got), len(lost), removedAfter)
	if len(late) > 0 {
		t.Errorf("%d message(s) lost that no dead puller explains, the first %d", len(late), late[0])
	}
}
