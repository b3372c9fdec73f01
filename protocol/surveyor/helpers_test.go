package surveyor_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/leaktest"
	"github.com/spgo/sp/internal/sptest"
	"github.com/spgo/sp/protocol/respondent"
	"github.com/spgo/sp/protocol/surveyor"
	"github.com/stretchr/testify/require"
)

func TestMain(m *testing.M) { leaktest.VerifyTestMain(m) }

// long is a survey time no passing test waits out: surveys that must not
// expire while a slow machine delivers their answers.
const long = sptest.Timeout

// short is the survey time of tests that wait for a survey to end: short to
// keep the tests fast, long enough that a slow machine delivers what must
// arrive in time.
const short = 300 * time.Millisecond

// newSurveyor returns a surveyor socket with the given survey time, closed
// when the test ends.
func newSurveyor(t *testing.T, surveyTime time.Duration) sp.Socket {
	t.Helper()
	s := sptest.New(t, surveyor.NewSocket)
	require.NoError(t, sp.SetOption(s, surveyor.SurveyTime, surveyTime))
	return s
}

// respondents makes n respondent sockets that dial s, which listens on fresh
// addresses of tr, and returns once s has a pipe to each.
func respondents(t *testing.T, tr sptest.Transport, s sp.Socket, n int) []sp.Socket {
	t.Helper()
	rs := make([]sp.Socket, n)
	for i := range rs {
		rs[i] = sptest.New(t, respondent.NewSocket)
		sptest.Connect(t, rs[i], s, tr.Addr(t))
	}
	return rs
}

// surveyCtx opens a context on the surveyor s, for tests that start a
// survey while the one before still collects answers (which the socket
// itself refuses), closed when the test ends.
func surveyCtx(t *testing.T, s sp.Socket) sp.Context {
	t.Helper()
	c, err := s.OpenContext()
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

// tagged returns an answer function that answers q with "tag:q".
func tagged(tag string) func([]byte) []byte {
	return func(q []byte) []byte { return []byte(tag + ":" + string(q)) }
}

// receiver is what answers are received from: a socket or a context.
type receiver interface {
	Recv(ctx context.Context) ([]byte, error)
}

// collect receives n answers and returns them sorted.
func collect(t *testing.T, s receiver, n int) []string {
	t.Helper()
	ctx := sptest.Ctx(t)
	got := make([]string, 0, n)
	for i := range n {
		b, err := s.Recv(ctx)
		require.NoError(t, err, "Recv of answer #%d (got so far: %q)", i, got)
		got = append(got, string(b))
	}
	slices.Sort(got)
	return got
}

// requireEnds checks that the survey has ended: Recv fails with
// sp.ErrTimeout without returning another answer.
func requireEnds(t *testing.T, s receiver) {
	t.Helper()
	b, err := s.Recv(sptest.Ctx(t))
	require.ErrorIs(t, err, sp.ErrTimeout, "Recv after the survey's end: got %q, %v; want ErrTimeout", b, err)
}

// want returns the answers "tag:q" for the tags r0..r(n-1), sorted.
func want(n int, q string) []string {
	w := make([]string, n)
	for i := range w {
		w[i] = fmt.Sprintf("r%d:%s", i, q)
	}
	slices.Sort(w)
	return w
}
