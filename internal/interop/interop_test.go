package interop

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spgo/sp/internal/leaktest"
)

func TestMain(m *testing.M) { leaktest.VerifyTestMain(m) }

func TestNngcatVersion(t *testing.T) {
	p := Start(t, "nngcat", "--version")
	if err := p.Wait(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	if got := string(p.Stdout()); !regexp.MustCompile(`^\d+\.\d+\.\d+\n$`).MatchString(got) {
		t.Errorf("nngcat --version printed %q, want a version line such as \"1.5.2\\n\"", got)
	}
}

// TestExchange checks Start, WaitStdout and Wait on a real req/rep exchange,
// nanocat answering nngcat.
func TestExchange(t *testing.T) {
	Tool(t, "nngcat")
	Tool(t, "nanocat")
	url := fmt.Sprintf("tcp://127.0.0.1:%d", FreeTCPPort(t))
	rep := Start(t, "nanocat", "--rep", "--bind", url, "--data", "pong", "--quoted")
	req := Start(t, "nngcat", "--req", "--dial", url, "--async", "--data", "ping", "--quoted")
	req.WaitStdout(t, []byte("\"pong\"\n"), 10*time.Second)
	if err := req.Wait(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	rep.WaitStdout(t, []byte("\"ping\"\n"), 10*time.Second)
	// nanocat rep never exits by itself: Wait must kill it and say so.
	if err := rep.Wait(50 * time.Millisecond); err == nil || !strings.Contains(err.Error(), "killed") {
		t.Errorf("Wait on a running process = %v, want an error saying it was killed", err)
	}
}

func TestWaitReportsExitStatus(t *testing.T) {
	p := Start(t, "nngcat", "--req", "--dial", "tcp://127.0.0.1:1", "--data", "x")
	err := p.Wait(10 * time.Second)
	if err == nil || !strings.Contains(err.Error(), "exit status 1") {
		t.Errorf("Wait = %v, want exit status 1", err)
	}
}

// fakeTB records Skipf and Fatalf, and ends the goroutine like the real ones.
type fakeTB struct {
	testing.TB
	skipped, failed string
}

func (f *fakeTB) Helper() {}

func (f *fakeTB) Skipf(format string, args ...any) {
	f.skipped = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func (f *fakeTB) Fatalf(format string, args ...any) {
	f.failed = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// runTool calls Tool with a fake in a goroutine of its own, since Skipf and
// Fatalf end it.
func runTool(name string) *fakeTB {
	f := &fakeTB{}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		Tool(f, name)
	}()
	wg.Wait()
	return f
}

func TestToolMissing(t *testing.T) {
	const name = "sp-no-such-tool"
	t.Setenv("SP_INTEROP", "")
	if f := runTool(name); !strings.Contains(f.skipped, name) || f.failed != "" {
		t.Errorf("missing tool without SP_INTEROP: skipped %q, failed %q; want a skip", f.skipped, f.failed)
	}
	t.Setenv("SP_INTEROP", "require")
	if f := runTool(name); !strings.Contains(f.failed, name) || f.skipped != "" {
		t.Errorf("missing tool with SP_INTEROP=require: skipped %q, failed %q; want a failure", f.skipped, f.failed)
	}
}

func TestFreeTCPPort(t *testing.T) {
	port := FreeTCPPort(t)
	if port <= 0 || port > 65535 {
		t.Fatalf("FreeTCPPort = %d", port)
	}
	l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		t.Fatalf("port %d is not free: %v", port, err)
	}
	_ = l.Close()
}

func TestIPCPath(t *testing.T) {
	a, b := IPCPath(t), IPCPath(t)
	if a == b {
		t.Errorf("IPCPath returned %q twice", a)
	}
	for _, p := range []string{a, b} {
		checkIPCPath(t, p)
	}
	l, err := net.Listen("unix", a)
	if err != nil {
		t.Fatalf("listen on %q: %v", a, err)
	}
	_ = l.Close()

	long := filepath.Join(t.TempDir(), strings.Repeat("d", 120))
	p := ipcPathIn(t, long)
	if !strings.HasPrefix(p, "/tmp/sp-") {
		t.Errorf("path for a long directory = %q, want one under /tmp/sp-", p)
	}
	checkIPCPath(t, p)
}

// checkIPCPath checks that p fits sun_path, its directory exists and p itself
// does not.
func checkIPCPath(t *testing.T, p string) {
	t.Helper()
	if len(p) > maxIPCPath {
		t.Errorf("%q is %d bytes, too long for sun_path", p, len(p))
	}
	if st, err := os.Stat(filepath.Dir(p)); err != nil || !st.IsDir() {
		t.Errorf("directory of %q: %v", p, err)
	}
	if _, err := os.Stat(p); !os.IsNotExist(err) {
		t.Errorf("%q already exists (err %v)", p, err)
	}
}
