package surveyor_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/sptest"
	"github.com/spgo/sp/protocol/pub"
	"github.com/spgo/sp/protocol/respondent"
	"github.com/spgo/sp/protocol/surveyor"
	"github.com/stretchr/testify/require"
)

// The tests in this file are driven by the survey's deadline (SurveyTime)
// or the caller's. They run in a synctest bubble over inproc, on fake
// time, so a survey ends at exactly its SurveyTime: the timer is the
// protocol's, not the transport's, and the other transports are covered
// by the tests that need no timer.

// inproc is the transport of the tests in a bubble.
var inproc = sptest.All[0]

// requireEndsAt checks that the survey that began at start ends at exactly
// start+d: Recv fails with surveyor.ErrSurveyEnded then, without another
// answer. (It waits with t.Context(), as sptest.Ctx's deadline is fake time
// too.)
func requireEndsAt(t *testing.T, s receiver, start time.Time, d time.Duration) {
	t.Helper()
	b, err := s.Recv(t.Context())
	require.ErrorIs(t, err, surveyor.ErrSurveyEnded, "Recv after the survey's end: got %q, %v; want ErrSurveyEnded", b, err)
	took := time.Since(start)
	require.Equal(t, d, took, "the survey ended after %v, want %v", took, d)
}

// The survey's deadline ends Recv with sp.ErrTimeout at exactly
// SurveyTime, also when no one answers, and every Recv after it fails the
// same way, at once, until the next survey.
func TestSurveyDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newSurveyor(t, short)
		r := respondents(t, inproc, s, 1)[0]
		ctx := t.Context() // sptest.Ctx would end in the hour below

		_, err := s.Recv(ctx)
		require.ErrorIs(t, err, sp.ErrBadState, "Recv before any survey: got %v, want ErrBadState", err)

		start := time.Now()
		require.NoError(t, s.Send(ctx, []byte("anyone?")))
		rc, err := r.OpenContext() // the socket itself would refuse to leave one unanswered
		require.NoError(t, err)
		defer rc.Close()
		q, err := rc.Recv(ctx) // received, never answered
		require.NoError(t, err)
		require.Equal(t, "anyone?", string(q))
		requireEndsAt(t, s, start, short)
		requireEndsAt(t, s, start, short)
		time.Sleep(time.Hour)
		requireEnds(t, s)

		// Answers that came in time can still be read after the deadline.
		start = time.Now()
		require.NoError(t, s.Send(ctx, []byte("again")))
		_, err = rc.Recv(ctx)
		require.NoError(t, err)
		require.NoError(t, rc.Send(ctx, []byte("in time")))
		time.Sleep(2 * short)
		b, err := s.Recv(ctx)
		require.NoError(t, err)
		require.Equal(t, "in time", string(b))
		requireEndsAt(t, s, start, 2*short)
	})
}

// An answer that arrives after the deadline is dropped: the next survey's
// Recv does not see it either.
func TestLateAnswerDropped(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newSurveyor(t, short)
		r := respondents(t, inproc, s, 1)[0]
		ctx := sptest.Ctx(t)

		start := time.Now()
		require.NoError(t, s.Send(ctx, []byte("q1")))
		_, err := r.Recv(ctx)
		require.NoError(t, err)
		requireEndsAt(t, s, start, short)
		require.NoError(t, r.Send(ctx, []byte("late")))
		synctest.Wait() // "late" reached the surveyor, which dropped it
		stale := s.Stats().Drops.Stale
		require.Equal(t, uint64(1), stale, "stale drops after the late answer: got %d, want 1", stale)

		require.NoError(t, sp.SetOption(s, surveyor.SurveyTime, long))
		require.NoError(t, s.Send(ctx, []byte("q2")))
		q, err := r.Recv(ctx)
		require.NoError(t, err)
		require.Equal(t, "q2", string(q))
		require.NoError(t, r.Send(ctx, []byte("a2")))
		// "late" went first on the same connection: had it been kept, it
		// would come before "a2".
		b, err := s.Recv(ctx)
		require.NoError(t, err)
		require.Equal(t, "a2", string(b), "got %q, want the answer to the second survey", b)
	})
}

// Surveys run at once from many goroutines on one socket each get the
// answers to their own survey, and the loop ends, without an error, when
// the survey does: at exactly its SurveyTime.
func TestSurveyConcurrent(t *testing.T) {
	const n, goroutines = 3, 8
	synctest.Test(t, func(t *testing.T) {
		s := newSurveyor(t, short)
		for i, r := range respondents(t, inproc, s, n) {
			sptest.Answer(t, r, tagged(fmt.Sprintf("r%d", i)))
		}
		ctx := sptest.Ctx(t)
		var wg sync.WaitGroup
		for g := range goroutines {
			wg.Go(func() {
				q := fmt.Sprintf("q%d", g)
				start := time.Now()
				got, err := surveyor.SurveyAll(ctx, s, []byte(q))
				if err != nil {
					t.Errorf("survey %s: %v", q, err)
					return
				}
				var answers []string
				for _, a := range got {
					answers = append(answers, string(a))
				}
				slices.Sort(answers)
				if !slices.Equal(answers, want(n, q)) {
					t.Errorf("survey %s: got %q, want %q", q, answers, want(n, q))
				}
				if took := time.Since(start); took != short {
					t.Errorf("survey %s ended after %v, want its SurveyTime %v", q, took, short)
				}
			})
		}
		wg.Wait()
	})
}

// A context's survey ends at its own deadline, independently of the
// socket's survey.
func TestContextDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newSurveyor(t, time.Hour)
		r := respondents(t, inproc, s, 1)[0]
		sptest.Answer(t, r, tagged("r0"))
		c, err := s.OpenContext()
		require.NoError(t, err)
		require.NoError(t, sp.SetOption(c, surveyor.SurveyTime, short))
		ctx := t.Context()
		_, err = c.Recv(ctx)
		require.ErrorIs(t, err, sp.ErrBadState, "Recv on a context before its survey")
		start := time.Now()
		require.NoError(t, s.Send(ctx, []byte("long")))
		require.NoError(t, c.Send(ctx, []byte("short")))
		require.Equal(t, []string{"r0:short"}, collect(t, c, 1))
		requireEndsAt(t, c, start, short)
		require.Equal(t, []string{"r0:long"}, collect(t, s, 1), "the socket's survey, still running")
		requireEndsAt(t, s, start, time.Hour)
	})
}

// The caller's deadline is an error, unlike the survey's end; breaking out
// of the loop ends the survey.
func TestSurveyEnds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const deadline = 100 * time.Millisecond
		s := newSurveyor(t, long)
		rs := sptest.New(t, respondent.NewSocket)
		sptest.Connect(t, rs, s, sptest.InprocAddr())
		sptest.Answer(t, rs, tagged("r"))

		start := time.Now()
		short, cancel := context.WithTimeout(sptest.Ctx(t), deadline)
		defer cancel()
		got, err := surveyor.SurveyAll(short, s, []byte("q"))
		require.ErrorIs(t, err, sp.ErrTimeout)
		require.False(t, errors.Is(err, surveyor.ErrSurveyEnded), "got %v: the caller's deadline is not the survey's end", err)
		require.Len(t, got, 1, "got %q, want the one answer that came before the deadline", got)
		require.Equal(t, deadline, time.Since(start), "SurveyAll returned after %v, want the caller's deadline %v", time.Since(start), deadline)

		for a, err := range surveyor.Survey(sptest.Ctx(t), s, []byte("first")) {
			require.NoError(t, err)
			require.Equal(t, "r:first", string(a))
			break // the survey ends here, though its SurveyTime is long
		}
	})
}

// The socket's own survey ends with ErrSurveyEnded, at exactly its
// SurveyTime, which also reads as sp.ErrTimeout; Survey refuses sockets it
// cannot survey on.
func TestSurveyErrors(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const surveyTime = 50 * time.Millisecond
		s := newSurveyor(t, surveyTime)
		ctx := sptest.Ctx(t)
		start := time.Now()
		require.NoError(t, s.Send(ctx, []byte("nobody")))
		_, err := s.Recv(ctx)
		require.ErrorIs(t, err, surveyor.ErrSurveyEnded)
		require.ErrorIs(t, err, sp.ErrTimeout)
		require.ErrorIs(t, err, context.DeadlineExceeded)
		require.Equal(t, surveyTime, time.Since(start), "the survey ended after %v, want %v", time.Since(start), surveyTime)

		for _, ctor := range []func() (sp.Socket, error){surveyor.NewRawSocket, pub.NewSocket} {
			_, err := surveyor.SurveyAll(ctx, sptest.New(t, ctor), []byte("x"))
			require.ErrorIs(t, err, sp.ErrNotSupported)
		}
	})
}
