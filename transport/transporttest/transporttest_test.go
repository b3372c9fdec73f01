package transporttest_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/leaktest"
	"github.com/spgo/sp/transport/transporttest"

	_ "github.com/spgo/sp/transport/inproc"
)

func TestMain(m *testing.M) { leaktest.VerifyTestMain(m) }

// broken is the inproc transport, served as broken://name, with three
// faults the suite must catch: its listeners have an Addr before Listen,
// its connections ignore the receive limit, and it accepts any name, even
// an empty one.
type broken struct{ inner sp.Transport }

func (broken) Schemes() []string { return []string{"broken"} }

func inner(addr string) string {
	name := strings.TrimPrefix(addr, "broken://")
	if name == "" {
		name = "empty"
	}
	return "inproc://" + name
}

func (b broken) NewDialer(addr string, cfg sp.TransportConfig) (sp.TransportDialer, error) {
	d, err := b.inner.NewDialer(inner(addr), cfg)
	return brokenDialer{d}, err
}

func (b broken) NewListener(addr string, cfg sp.TransportConfig) (sp.TransportListener, error) {
	l, err := b.inner.NewListener(inner(addr), cfg)
	return brokenListener{l}, err
}

type brokenDialer struct{ sp.TransportDialer }

func (d brokenDialer) Dial(ctx context.Context) (sp.TransportConn, error) {
	c, err := d.TransportDialer.Dial(ctx)
	if err != nil {
		return nil, err
	}
	return brokenConn{c}, nil
}

type brokenListener struct{ sp.TransportListener }

func (l brokenListener) Addr() net.Addr { return &net.UnixAddr{Name: "always", Net: "unix"} }

func (l brokenListener) Accept() (sp.TransportConn, error) {
	c, err := l.TransportListener.Accept()
	if err != nil {
		return nil, err
	}
	return brokenConn{c}, nil
}

type brokenConn struct{ sp.TransportConn }

func (c brokenConn) Recv(int) (*sp.Message, error) { return c.TransportConn.Recv(0) }

var seq atomic.Uint64

func brokenConfig() transporttest.Config {
	name := func(testing.TB) string { return fmt.Sprintf("broken://t%d", seq.Add(1)) }
	return transporttest.Config{Addr: name, Refused: name}
}

// TestBrokenTransport runs the suite over the broken transport when the
// parent test asks for it.
func TestBrokenTransport(t *testing.T) {
	if os.Getenv("TRANSPORTTEST_BROKEN") != "1" {
		t.Skip("run by TestSuiteCatchesFaults")
	}
	sp.RegisterTransport(broken{sp.LookupTransport("inproc")})
	transporttest.Run(t, brokenConfig())
}

// TestSuiteCatchesFaults runs the suite over the broken transport in a
// child process and checks that exactly the checks of its faults fail.
func TestSuiteCatchesFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the suite in a child process")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestBrokenTransport$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), "TRANSPORTTEST_BROKEN=1")
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("the suite passed a transport with three faults:\n%s", out)
	}
	var failed []string
	for _, m := range regexp.MustCompile(`--- FAIL: TestBrokenTransport/(\S+)`).FindAllSubmatch(out, -1) {
		failed = append(failed, string(m[1]))
	}
	want := []string{"ListenerAddr", "RecvMaxSize", "BadURLs"}
	slices.Sort(failed)
	slices.Sort(want)
	if !slices.Equal(failed, want) {
		t.Errorf("failed checks: got %v, want %v\n%s", failed, want, out)
	}
}

// TestExchangeInproc is a quick check over the real inproc transport, as a
// control for TestSuiteCatchesFaults.
func TestExchangeInproc(t *testing.T) {
	transporttest.Exchange(t, transporttest.Config{
		Addr: func(testing.TB) string { return fmt.Sprintf("inproc://transporttest-%d", seq.Add(1)) },
	})
}
