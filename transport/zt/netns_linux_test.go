//go:build linux

package zt_test

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spgo/sp/transport/zt"
)

// The namespace tests run two child processes (this test binary, with
// TestHelperProcess selected), one in each of two network namespaces,
// talking zt:// over Ethernet between them.

const (
	nsNWID  = 0x8056c2e21c000001
	nodeA   = 0x1122334455 // the server, in namespace A
	nodeB   = 0x66778899aa // the client, in namespace B
	lossPct = 20
)

// requireNetns reports whether the test must run: as root in CI it must,
// and so fails rather than skips when it cannot.
func mustRun() bool { return os.Geteuid() == 0 && os.Getenv("CI") == "true" }

func cannot(t *testing.T, format string, args ...any) {
	t.Helper()
	if mustRun() {
		t.Fatalf(format, args...)
	}
	t.Skipf("skipping: "+format+" (this test fails instead when run as root with CI=true)", args...)
}

func run(args ...string) error {
	out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// netns is a pair of namespaces with an interface each, whose MACs are
// those of nodeA and nodeB on nsNWID.
type netns struct {
	a, b         string // namespace names
	ifA, ifB     string // interface names inside them
	outA, outB   string // for the forwarder: their peers in the root namespace
	forwarded    bool
	deleted      bool
	closeForward func()
}

// del deletes the namespaces, and with them the interfaces.
func (n *netns) del() error {
	if n.deleted {
		return nil
	}
	n.deleted = true
	var first error
	for _, ns := range []string{n.a, n.b} {
		if err := run("ip", "netns", "del", ns); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// newNetns makes the namespaces. With forward, each interface's veth peer
// stays in the root namespace and the test forwards frames between them;
// otherwise one veth pair joins the namespaces directly.
func newNetns(t *testing.T, tag string, forward bool) *netns {
	t.Helper()
	if _, err := exec.LookPath("ip"); err != nil {
		cannot(t, "no ip command (iproute2): %v", err)
	}
	if os.Geteuid() != 0 {
		cannot(t, "creating network namespaces needs root")
	}
	id := fmt.Sprintf("%d%s", os.Getpid()%1000000, tag)
	n := &netns{a: "spzt" + id + "a", b: "spzt" + id + "b", ifA: "zta" + id, ifB: "ztb" + id}
	t.Cleanup(func() {
		if n.closeForward != nil {
			n.closeForward()
		}
		if err := n.del(); err != nil {
			t.Errorf("cleanup: %v", err)
		}
		if n.forwarded {
			run("ip", "link", "del", n.outA) // gone with the namespace, normally
			run("ip", "link", "del", n.outB)
		}
	})
	for _, ns := range []string{n.a, n.b} {
		if err := run("ip", "netns", "add", ns); err != nil {
			cannot(t, "cannot create network namespaces: %v", err)
		}
	}
	var cmds [][]string
	if forward {
		n.forwarded = true
		n.outA, n.outB = "zfa"+id, "zfb"+id
		cmds = append(cmds,
			[]string{"ip", "link", "add", n.outA, "mtu", fmt.Sprint(nsMTU), "type", "veth", "peer", "name", n.ifA, "mtu", fmt.Sprint(nsMTU)},
			[]string{"ip", "link", "add", n.outB, "mtu", fmt.Sprint(nsMTU), "type", "veth", "peer", "name", n.ifB, "mtu", fmt.Sprint(nsMTU)},
			[]string{"ip", "link", "set", n.outA, "promisc", "on", "up"},
			[]string{"ip", "link", "set", n.outB, "promisc", "on", "up"})
	} else {
		cmds = append(cmds, []string{"ip", "link", "add", n.ifA, "mtu", fmt.Sprint(nsMTU), "type", "veth", "peer", "name", n.ifB, "mtu", fmt.Sprint(nsMTU)})
	}
	for _, side := range []struct {
		ns, ifc string
		node    uint64
	}{{n.a, n.ifA, nodeA}, {n.b, n.ifB, nodeB}} {
		cmds = append(cmds,
			[]string{"ip", "link", "set", side.ifc, "netns", side.ns},
			[]string{"ip", "-n", side.ns, "link", "set", "dev", side.ifc, "address", zt.MACFor(side.node, nsNWID).String()},
			[]string{"ip", "-n", side.ns, "link", "set", "dev", side.ifc, "up"})
	}
	for _, c := range cmds {
		if err := run(c...); err != nil {
			cannot(t, "cannot set up the veth pair: %v", err)
		}
	}
	return n
}

// helper is a child process running TestHelperProcess in a namespace.
type helper struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	mu    sync.Mutex
	out   strings.Builder
	done  chan error
}

func (h *helper) output() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.out.String()
}

// startHelper starts role in namespace ns on interface ifc. A server
// prints READY when it listens and runs until its stdin closes.
func startHelper(t *testing.T, role, ns, ifc string) *helper {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	h := &helper{done: make(chan error, 1)}
	h.cmd = exec.Command("ip", "netns", "exec", ns, exe, "-test.run=^TestHelperProcess$", "-test.count=1")
	h.cmd.Env = append(os.Environ(), "ZT_HELPER="+role, "ZT_IFACE="+ifc,
		fmt.Sprintf("ZT_NWID=%016x", uint64(nsNWID)), fmt.Sprintf("ZT_PEER=%010x", uint64(nodeA)))
	h.stdin, _ = h.cmd.StdinPipe()
	pr, pw := io.Pipe()
	h.cmd.Stdout, h.cmd.Stderr = pw, pw
	if err := h.cmd.Start(); err != nil {
		t.Fatalf("starting the %s helper: %v", role, err)
	}
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(pr)
		once := false
		for sc.Scan() {
			h.mu.Lock()
			h.out.WriteString(sc.Text() + "\n")
			h.mu.Unlock()
			if !once && strings.TrimSpace(sc.Text()) == "READY" {
				once = true
				close(ready)
			}
		}
		io.Copy(io.Discard, pr)
	}()
	go func() {
		err := h.cmd.Wait()
		pw.Close()
		h.done <- err
	}()
	t.Cleanup(func() {
		h.stdin.Close()
		select {
		case <-h.done:
		case <-time.After(10 * time.Second):
			h.cmd.Process.Kill()
			<-h.done
		}
	})
	if strings.HasSuffix(role, "server") {
		select {
		case <-ready:
		case err := <-h.done:
			h.done <- err
			t.Fatalf("the %s helper exited before it was ready: %v\n%s", role, err, h.output())
		case <-time.After(30 * time.Second):
			t.Fatalf("the %s helper is not ready after 30 s:\n%s", role, h.output())
		}
	}
	return h
}

// wait waits for the helper to exit and fails t if it failed.
func (h *helper) wait(t *testing.T, role string, limit time.Duration) {
	t.Helper()
	select {
	case err := <-h.done:
		h.done <- err
		t.Logf("%s helper output:\n%s", role, h.output())
		if err != nil {
			t.Fatalf("the %s helper failed: %v", role, err)
		}
	case <-time.After(limit):
		h.cmd.Process.Kill()
		t.Fatalf("the %s helper did not finish in %v:\n%s", role, limit, h.output())
	}
}

// TestNetns runs req/rep, pub/sub and a 1 MiB request and reply between
// two namespaces joined by a veth pair.
func TestNetns(t *testing.T) {
	n := newNetns(t, "", false)
	startHelper(t, "server", n.a, n.ifA)
	c := startHelper(t, "client", n.b, n.ifB)
	c.wait(t, "client", 90*time.Second)
}

// TestNetnsLoss drops 20% of the frames between the namespaces (tc netem
// on the veth pair, or, where the kernel has no netem, a forwarder in this
// process between two veth pairs): messages must arrive whole or not at
// all.
func TestNetnsLoss(t *testing.T) {
	n := newNetns(t, "l", false)
	netem := true
	for _, s := range []struct{ ns, ifc string }{{n.a, n.ifA}, {n.b, n.ifB}} {
		if err := run("ip", "netns", "exec", s.ns, "tc", "qdisc", "add", "dev", s.ifc, "root", "netem", "loss", fmt.Sprintf("%d%%", lossPct)); err != nil {
			t.Logf("no netem (%v): forwarding through this process instead, dropping %d%% of frames", err, lossPct)
			netem = false
			break
		}
	}
	if !netem {
		if err := n.del(); err != nil {
			t.Fatal(err)
		}
		n = newNetns(t, "f", true)
		stop, counts, err := forward(n.outA, n.outB, lossPct)
		if err != nil {
			t.Fatalf("starting the forwarder: %v", err)
		}
		n.closeForward = stop
		defer func() { t.Logf("forwarder: %s", counts()) }()
	}
	startHelper(t, "lossserver", n.a, n.ifA)
	c := startHelper(t, "lossclient", n.b, n.ifB)
	c.wait(t, "lossclient", 90*time.Second)
}
