package protocoltest_test

import (
	"context"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"testing"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/leaktest"
	"github.com/spgo/sp/protocol/pair"
	"github.com/spgo/sp/protocol/protocoltest"
)

func TestMain(m *testing.M) { leaktest.VerifyTestMain(m) }

// broken is a pair socket with three faults the suite must catch: it gives
// the wrong name, it cuts messages over 2 MiB short, and it takes a MaxTTL
// of 0.
type broken struct{ sp.Socket }

func newBroken() (sp.Socket, error) {
	s, err := pair.NewSocket()
	return broken{s}, err
}

func (b broken) Info() sp.ProtocolInfo {
	info := b.Socket.Info()
	info.SelfName = "pear"
	return info
}

func (b broken) Send(ctx context.Context, body []byte) error {
	return b.Socket.Send(ctx, body[:min(len(body), 2<<20)])
}

func (b broken) SendMsg(ctx context.Context, m *sp.Message) error {
	m.Body = m.Body[:min(len(m.Body), 2<<20)]
	return b.Socket.SendMsg(ctx, m)
}

func (b broken) SetOptionValue(name string, v any) error {
	if name == sp.MaxTTL.Name() && v == 0 {
		return nil
	}
	return b.Socket.SetOptionValue(name, v)
}

// pairConfig describes pair v0, with newSocket making the sockets under
// test.
func pairConfig(newSocket func() (sp.Socket, error)) protocoltest.Config {
	return protocoltest.Config{
		NewSocket:        newSocket,
		NewPeer:          pair.NewSocket,
		Info:             sp.ProtocolInfo{Self: 0x10, Peer: 0x10, SelfName: "pair", PeerName: "pair"},
		Pattern:          protocoltest.Both,
		OnePeer:          true,
		SendWaitsForPeer: true,
		SendWaitsForRoom: true,
	}
}

// TestBrokenProtocol runs the suite on the broken protocol when the parent
// test asks for it.
func TestBrokenProtocol(t *testing.T) {
	if os.Getenv("PROTOCOLTEST_BROKEN") != "1" {
		t.Skip("run by TestSuiteCatchesFaults")
	}
	protocoltest.Run(t, pairConfig(newBroken))
}

// TestSuiteCatchesFaults runs the suite on the broken protocol in a child
// process and checks that exactly the checks of its faults fail.
func TestSuiteCatchesFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the suite in a child process")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestBrokenProtocol$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), "PROTOCOLTEST_BROKEN=1")
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("the suite passed a protocol with three faults:\n%s", out)
	}
	var failed []string
	for _, m := range regexp.MustCompile(`--- FAIL: TestBrokenProtocol/(\w+) `).FindAllSubmatch(out, -1) {
		failed = append(failed, string(m[1]))
	}
	want := []string{"Info", "Large", "Options"}
	slices.Sort(failed)
	if !slices.Equal(failed, want) {
		t.Errorf("failed checks: got %v, want %v\n%s", failed, want, out)
	}
}
