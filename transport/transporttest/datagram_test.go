package transporttest_test

import (
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"testing"

	"github.com/spgo/sp/transport/transporttest"
)

// TestDatagramClaim runs the suite over inproc claiming to be a datagram
// transport of 1000-byte messages, when the parent test asks for it:
// inproc carries a larger message instead of refusing it.
func TestDatagramClaim(t *testing.T) {
	if os.Getenv("TRANSPORTTEST_DATAGRAM") != "1" {
		t.Skip("run by TestSuiteHoldsDatagramsToTheirClaim")
	}
	name := func(testing.TB) string { return fmt.Sprintf("inproc://datagram-%d", seq.Add(1)) }
	transporttest.Run(t, transporttest.Config{
		Addr:     name,
		Refused:  name,
		Datagram: &transporttest.Datagram{MaxMessage: 1000},
	})
}

// TestSuiteHoldsDatagramsToTheirClaim runs TestDatagramClaim in a child
// process: the Large and RecvMaxSize checks, and only they, must fail,
// since the transport's Send takes a message over the largest it claims,
// and over the peer's receive limit, instead of refusing it; the paced
// Order holds for inproc.
func TestSuiteHoldsDatagramsToTheirClaim(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the suite in a child process")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestDatagramClaim$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), "TRANSPORTTEST_DATAGRAM=1")
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("the suite passed a datagram transport that delivers messages over its claimed size:\n%s", out)
	}
	var failed []string
	for _, m := range regexp.MustCompile(`--- FAIL: TestDatagramClaim/(\S+)`).FindAllSubmatch(out, -1) {
		failed = append(failed, string(m[1]))
	}
	if want := []string{"Large", "RecvMaxSize"}; !slices.Equal(failed, want) {
		t.Errorf("failed checks: got %v, want %v\n%s", failed, want, out)
	}
}
