package leaktest

import (
	"bytes"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/spgo/sp/internal/msgtrack"
)

// fakeMessage stands in for a pooled sp.Message, which this package may
// not import: a tracked object with a record of its own.
type fakeMessage struct {
	_   [64]byte // not a tiny allocation, which may never be collected
	rec *msgtrack.Record
}

// newFake returns a tracked object, held by the user as a new message is.
func newFake() *fakeMessage {
	f := new(fakeMessage)
	f.rec = msgtrack.Track(f)
	return f
}

// fakeSends makes n tracked objects, hands them to the library (as
// SendMsg would) and leaves them with their last holder, o: the library
// drops them (a leak), the user does, or they are freed. Its name shows
// in the report of a leak.
//
//go:noinline
func fakeSends(n int, o msgtrack.Owner) {
	for range n {
		f := newFake()
		f.rec.TakeOver(0)
		if o != msgtrack.Library {
			f.rec.Set(o)
		}
	}
}

// tracking turns message tracking on, as VerifyTestMain does, for a test
// run with -bench.
func tracking() {
	if !msgtrack.Enabled() {
		msgtrack.Enable()
	}
}

func TestVerifyMainMessages(t *testing.T) {
	tracking()
	tests := []struct {
		name     string
		leaks    int // left with the library
		dropped  int // left with the user
		freed    int
		wantCode int
		want     []string // in the report
	}{
		{"lost", 3, 0, 0, 1, []string{"3 pooled message(s) dropped without Free", "3 message(s) taken over at:", "leaktest.fakeSends", "messages_test.go:"}},
		{"lost among dropped and freed", 1, 5, 5, 1, []string{"1 pooled message(s)", "leaktest.fakeSends"}},
		{"dropped by the user", 0, 4, 0, 0, nil},
		{"freed", 0, 0, 4, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			code := verifyMain(fakeM{func() int {
				fakeSends(tt.leaks, msgtrack.Library)
				fakeSends(tt.dropped, msgtrack.User)
				fakeSends(tt.freed, msgtrack.Freed)
				return 0
			}}, &out)
			require.Equalf(t, tt.wantCode, code, "got exit code %d, want %d; report:\n%s", code, tt.wantCode, out.String())
			if tt.want == nil {
				require.Emptyf(t, out.String(), "got a report %q, want none", out.String())
			}
			for _, w := range tt.want {
				require.Containsf(t, out.String(), w, "got report:\n%s\nwant it to contain %q", out.String(), w)
			}
		})
	}
	t.Run("failed tests are not checked", func(t *testing.T) {
		var out bytes.Buffer
		code := verifyMain(fakeM{func() int {
			fakeSends(1, msgtrack.Library)
			return 2
		}}, &out)
		require.Equalf(t, 2, code, "got exit code %d, want the tests' 2", code)
		// The loss is still there for a later check: claim it.
		n, _ := lostMessages(msgtrack.Mark{})
		require.Equalf(t, 1, n, "got %d lost messages left unclaimed, want 1", n)
	})
}

func TestCheckMessages(t *testing.T) {
	tracking()
	tests := []struct {
		name  string
		leaks int
		owner msgtrack.Owner // of the others
		fail  bool
	}{
		{"lost", 2, msgtrack.User, true},
		{"dropped by the user", 0, msgtrack.User, false},
		{"freed", 0, msgtrack.Freed, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := &fakeTB{}
			verify := CheckMessages(fake)
			fakeSends(tt.leaks, msgtrack.Library)
			fakeSends(3, tt.owner)
			verify()
			failures := fake.failures()
			if !tt.fail {
				require.Emptyf(t, failures, "got failures %q, want none", failures)
				return
			}
			require.Lenf(t, failures, 1, "got %d failures, want 1: %q", len(failures), failures)
			require.Containsf(t, failures[0], "2 pooled message(s)", "got failure:\n%s\nwant the count", failures[0])
			require.Containsf(t, failures[0], "leaktest.fakeSends", "got failure:\n%s\nwant the site", failures[0])
		})
	}
	t.Run("earlier losses are not this test's", func(t *testing.T) {
		fakeSends(1, msgtrack.Library) // before the check starts
		fake := &fakeTB{}
		verify := CheckMessages(fake)
		verify()
		require.Emptyf(t, fake.failures(), "got failures %q, want none", fake.failures())
		n, _ := lostMessages(msgtrack.Mark{}) // claim it, for the package's own check
		require.Equalf(t, 1, n, "got %d lost messages left unclaimed, want 1", n)
	})
}

func TestMessageReportSites(t *testing.T) {
	pc := func() []uintptr { // one site per call of it
		pcs := make([]uintptr, 4)
		return pcs[:runtime.Callers(1, pcs)]
	}
	a, b := pc(), pc()
	report := messageReport(7, []msgtrack.Loss{{Stack: a, Count: 1}, {Stack: b, Count: 5}})
	first, second := strings.Index(report, "5 message(s)"), strings.Index(report, "1 message(s)")
	require.Truef(t, first >= 0 && second > first, "got report:\n%s\nwant the site of 5 before the site of 1", report)
	require.Containsf(t, report, "and 1 more, from other sites", "got report:\n%s\nwant the messages not kept counted", report)
	require.Containsf(t, report, "TestMessageReportSites", "got report:\n%s\nwant the frames", report)
}
