//go:build linux

// Package fault_test runs sockets on the two sides of a link between two
// network namespaces that the test creates, and injects faults into the
// link (5% loss and 100 ms delay, the link cut and restored) or into the
// far side (its process killed and restarted). Each side is the test binary
// re-executed inside its namespace (TestHelperProcess), reporting over
// stdout. Loss and delay are injected with netem where the kernel has it;
// where it has not (or with SP_FAULT_RELAY=1) the link goes through a relay
// in this process that drops or delays the Ethernet frames (see relay). It
// needs root and iproute2; elsewhere it skips, except that with CI=true as
// root it fails rather than skip.
package fault_test

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spgo/sp/internal/leaktest"
)

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) == "1" {
		os.Exit(m.Run()) // a helper process: no leak check
	}
	// The tests mostly wait: run them all at once unless told otherwise.
	flag.Parse()
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "test.parallel" })
	if !set {
		_ = flag.Set("test.parallel", "12")
	}
	removeStale()
	leaktest.VerifyTestMain(m)
}

// nsPrefix starts the name of every namespace the tests make:
// spf-<pid>-<random><a|b|m>.
const nsPrefix = "spf-"

// removeStale deletes the namespaces left by earlier runs whose process has
// gone (killed by a timeout, say, before its clean-ups ran). Those of live
// processes, such as another run of this package, are left alone.
func removeStale() {
	if os.Geteuid() != 0 {
		return
	}
	out, err := exec.Command("ip", "netns", "list").Output()
	if err != nil {
		return
	}
	for _, line := range strings.Split(string(out), "\n") {
		name, _, _ := strings.Cut(strings.TrimSpace(line), " ")
		rest, ok := strings.CutPrefix(name, nsPrefix)
		if !ok {
			continue
		}
		pid, _, ok := strings.Cut(rest, "-")
		if !ok {
			continue
		}
		if _, err := strconv.Atoi(pid); err != nil {
			continue
		}
		if _, err := os.Stat("/proc/" + pid); err == nil {
			continue // its process lives
		}
		_ = exec.Command("ip", "netns", "del", name).Run()
	}
}

// unavailable skips the test, or fails it when CI=true and running as root,
// where the machine is expected to support namespaces.
func unavailable(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("CI") == "true" && os.Geteuid() == 0 {
		t.Fatalf("fault tests cannot run (CI=true, root): %s", why)
	}
	t.Skipf("this fault test cannot run on this machine (it needs root, iproute2, network namespaces and the faults it injects): %s", why)
}

func run(t *testing.T, args ...string) error {
	t.Helper()
	out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %v: %s", strings.Join(args, " "), err, out)
	}
	return nil
}

func must(t *testing.T, args ...string) {
	t.Helper()
	if err := run(t, args...); err != nil {
		t.Fatal(err)
	}
}

// link joins two namespaces: near (a, 10.x.y.1) and far (b, 10.x.y.2). The
// addresses exist only inside these namespaces. A direct link is one veth
// pair between a and b. A relayed link, for loss and delay without netem,
// is two veth pairs, a-m and b-m, whose ends in a third namespace m a relay
// in this process joins.
type link struct {
	a, b   string // namespace names
	va, vb string // veth ends, va in a, vb in b
	farIP  string
	relay  *relay // nil for a direct link
}

// netnsMu serializes the creation and deletion of namespaces.
var netnsMu sync.Mutex

func addNetns(t *testing.T, ns string) {
	t.Helper()
	// ip netns add and del race each other on /run/netns when run in
	// parallel ("File exists" seen in CI): one at a time.
	netnsMu.Lock()
	err := run(t, "ip", "netns", "add", ns)
	netnsMu.Unlock()
	if err != nil {
		unavailable(t, err.Error())
	}
	t.Cleanup(func() {
		netnsMu.Lock()
		defer netnsMu.Unlock()
		_ = run(t, "ip", "netns", "del", ns)
	})
}

// netemState caches whether the kernel has the netem qdisc: "" not probed
// yet, else "yes" or why not.
var (
	netemMu    sync.Mutex
	netemState string
)

// haveNetem reports whether netem can be used, probing it once on the
// loopback of namespace ns; why says why not.
func haveNetem(t *testing.T, ns string) (ok bool, why string) {
	netemMu.Lock()
	defer netemMu.Unlock()
	if netemState == "" {
		netemState = "yes"
		if err := run(t, "ip", "netns", "exec", ns, "tc", "qdisc", "add", "dev", "lo", "root", "netem", "delay", "1ms"); err != nil {
			netemState = strings.TrimSpace(err.Error())
		} else {
			_ = run(t, "ip", "netns", "exec", ns, "tc", "qdisc", "del", "dev", "lo", "root")
		}
	}
	return netemState == "yes", netemState
}

// newLink makes a link. With impair (the test will inject loss or delay),
// it is a relayed link if netem is not available or SP_FAULT_RELAY=1.
func newLink(t *testing.T, impair bool) *link {
	t.Helper()
	if os.Geteuid() != 0 {
		unavailable(t, "not root")
	}
	for _, tool := range []string{"ip", "tc"} {
		if _, err := exec.LookPath(tool); err != nil {
			unavailable(t, tool+" not found")
		}
	}
	var r [3]byte
	_, _ = rand.Read(r[:])
	id := hex.EncodeToString(r[:])
	// Namespace names carry this process's id, so that a later run can tell
	// the leftovers of a killed one (removeStale).
	ns := nsPrefix + strconv.Itoa(os.Getpid()) + "-" + id
	l := &link{a: ns + "a", b: ns + "b", va: "spa" + id, vb: "spb" + id}
	addNetns(t, l.a)
	addNetns(t, l.b)
	relayed := false
	if impair {
		ok, why := haveNetem(t, l.a)
		switch {
		case os.Getenv("SP_FAULT_RELAY") == "1":
			relayed = true
			t.Logf("loss and delay injected by the user-space relay (SP_FAULT_RELAY=1)")
		case !ok:
			relayed = true
			t.Logf("loss and delay injected by the user-space relay: netem is not available (%s)", why)
		default:
			t.Logf("loss and delay injected with tc netem")
		}
	}
	net := fmt.Sprintf("10.%d.%d", 100+r[0]%100, r[1])
	l.farIP = net + ".2"
	if relayed {
		m, ma, mb := ns+"m", "sma"+id, "smb"+id
		addNetns(t, m)
		must(t, "ip", "-n", l.a, "link", "add", l.va, "type", "veth", "peer", "name", ma, "netns", m)
		must(t, "ip", "-n", l.b, "link", "add", l.vb, "type", "veth", "peer", "name", mb, "netns", m)
		for _, v := range []string{ma, mb} {
			// No IPv6 link-local address: m itself stays silent.
			must(t, "ip", "-n", m, "link", "set", v, "addrgenmode", "none", "promisc", "on", "up")
		}
		rl, err := startRelay(m, ma, mb)
		if err != nil {
			t.Fatalf("starting the relay: %v", err)
		}
		t.Cleanup(rl.stop) // before the namespaces go
		l.relay = rl
	} else {
		must(t, "ip", "-n", l.a, "link", "add", l.va, "type", "veth", "peer", "name", l.vb, "netns", l.b)
	}
	must(t, "ip", "-n", l.a, "addr", "add", net+".1/24", "dev", l.va)
	must(t, "ip", "-n", l.b, "addr", "add", l.farIP+"/24", "dev", l.vb)
	for _, c := range [][]string{{l.a, l.va}, {l.b, l.vb}, {l.a, "lo"}, {l.b, "lo"}} {
		must(t, "ip", "-n", c[0], "link", "set", c[1], "up")
	}
	return l
}

// impairment is loss or delay on the link (one of them), both ways.
type impairment struct {
	loss  float64 // fraction of the frames dropped (the relay: of the TCP ones)
	delay time.Duration
}

func (im impairment) netem() string {
	if im.loss > 0 {
		return fmt.Sprintf("loss %g%%", im.loss*100)
	}
	return fmt.Sprintf("delay %dms", im.delay.Milliseconds())
}

// impair applies im to the link, with the relay or with netem on both
// ends, and returns the function that removes it.
func (l *link) impair(t *testing.T, im impairment) func() {
	t.Helper()
	if l.relay != nil {
		before := l.relay.counts()
		l.relay.set(im.loss, im.delay)
		return func() {
			l.relay.set(0, 0)
			c := l.relay.counts().sub(before)
			t.Logf("relay, while %s: forwarded %d frames, dropped %d of %d TCP frames (%.1f%%), lost %d to errors or a full queue",
				im.netem(), c.sent, c.dropped, c.tcp, 100*float64(c.dropped)/max(1, float64(c.tcp)), c.failed)
		}
	}
	return l.netem(t, im.netem())
}

// netem applies a netem qdisc to both ends of the link (spec such as
// "loss 5%" or "delay 100ms"), and returns the function that removes it.
func (l *link) netem(t *testing.T, spec string) func() {
	t.Helper()
	for _, c := range [][]string{{l.a, l.va}, {l.b, l.vb}} {
		must(t, append([]string{"ip", "netns", "exec", c[0], "tc", "qdisc", "add", "dev", c[1], "root", "netem"},
			strings.Fields(spec)...)...)
	}
	return func() {
		for _, c := range [][]string{{l.a, l.va}, {l.b, l.vb}} {
			must(t, "ip", "netns", "exec", c[0], "tc", "qdisc", "del", "dev", c[1], "root")
		}
	}
}

// cut takes the link down, and returns the function that brings it up.
func (l *link) cut(t *testing.T) func() {
	t.Helper()
	must(t, "ip", "-n", l.a, "link", "set", l.va, "down")
	return func() { must(t, "ip", "-n", l.a, "link", "set", l.va, "up") }
}

// proc is a helper process in a namespace; it collects its stdout lines.
type proc struct {
	name string
	cmd  *exec.Cmd
	in   io.WriteCloser // its stdin, which stop closes
	mu   sync.Mutex
	out  []string
	more chan struct{} // closed and replaced on each line
	done chan struct{} // closed when stdout ends
}

// start runs the test binary's TestHelperProcess in namespace ns as
// `role args...`; it is killed at the end of the test.
func start(t *testing.T, ns, role string, args ...string) *proc {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	argv := append([]string{"netns", "exec", ns, exe, "-test.run=^TestHelperProcess$", "--", role}, args...)
	p := &proc{name: role, cmd: exec.Command("ip", argv...), more: make(chan struct{}), done: make(chan struct{})}
	p.cmd.Env = append(os.Environ(), helperEnv+"=1")
	p.cmd.Stderr = os.Stderr
	if p.in, err = p.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(p.done)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			p.mu.Lock()
			p.out = append(p.out, sc.Text())
			close(p.more)
			p.more = make(chan struct{})
			p.mu.Unlock()
		}
	}()
	t.Cleanup(func() { p.kill() })
	return p
}

// stop tells a client to end its run (it closes its stdin: see running).
func (p *proc) stop() { _ = p.in.Close() }

// kill ends the process at once (SIGKILL) and waits for it.
func (p *proc) kill() {
	_ = p.cmd.Process.Kill()
	<-p.done
	_ = p.cmd.Wait()
}

// lines returns what the process has printed so far.
func (p *proc) lines() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.out...)
}

// wait returns the first line starting with prefix, waiting up to limit.
func (p *proc) wait(t *testing.T, prefix string, limit time.Duration) string {
	t.Helper()
	deadline := time.After(limit)
	for {
		p.mu.Lock()
		for _, l := range p.out {
			if strings.HasPrefix(l, prefix) {
				p.mu.Unlock()
				return l
			}
		}
		more := p.more
		p.mu.Unlock()
		select {
		case <-more:
		case <-p.done:
			if l := p.find(prefix); l != "" {
				return l
			}
			t.Fatalf("%s exited without printing %q; it printed:\n%s", p.name, prefix, tail(p.lines()))
		case <-deadline:
			t.Fatalf("%s did not print %q within %v; it printed:\n%s", p.name, prefix, limit, tail(p.lines()))
		}
	}
}

func (p *proc) find(prefix string) string {
	for _, l := range p.lines() {
		if strings.HasPrefix(l, prefix) {
			return l
		}
	}
	return ""
}

func tail(lines []string) string {
	if len(lines) > 20 {
		lines = lines[len(lines)-20:]
	}
	return strings.Join(lines, "\n")
}
