package surveyor_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/sptest"
	"github.com/spgo/sp/protocol/pub"
	"github.com/spgo/sp/protocol/respondent"
	"github.com/spgo/sp/protocol/surveyor"
	"github.com/stretchr/testify/require"
)

// Surveys run at once from many goroutines on one socket each get the
// answers to their own survey, and the loop ends, without an error, when
// the survey does.
func TestSurveyConcurrent(t *testing.T) {
	const n, goroutines = 3, 8
	sptest.Transports(t, func(t *testing.T, tr sptest.Transport) {
		s := newSurveyor(t, short)
		for i, r := range respondents(t, tr, s, n) {
			serve(t, r, tagged(fmt.Sprintf("r%d", i)))
		}
		ctx := sptest.Ctx(t)
		var wg sync.WaitGroup
		for g := range goroutines {
			wg.Add(1)
			go func() {
				defer wg.Done()
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
				if took := time.Since(start); took < short {
					t.Errorf("survey %s ended after %v, before its SurveyTime %v", q, took, short)
				}
			}()
		}
		wg.Wait()
	})
}

// The caller's deadline is an error, unlike the survey's end; breaking out
// of the loop ends the survey.
func TestSurveyEnds(t *testing.T) {
	s := newSurveyor(t, long)
	rs := sptest.New(t, respondent.NewSocket)
	sptest.Connect(t, rs, s, sptest.InprocAddr())
	serve(t, rs, tagged("r"))

	short, cancel := context.WithTimeout(sptest.Ctx(t), 100*time.Millisecond)
	defer cancel()
	got, err := surveyor.SurveyAll(short, s, []byte("q"))
	require.ErrorIs(t, err, sp.ErrTimeout)
	require.False(t, errors.Is(err, surveyor.ErrSurveyEnded), "got %v: the caller's deadline is not the survey's end", err)
	require.Len(t, got, 1, "got %q, want the one answer that came before the deadline", got)

	for a, err := range surveyor.Survey(sptest.Ctx(t), s, []byte("first")) {
		require.NoError(t, err)
		require.Equal(t, "r:first", string(a))
		break // the survey ends here, though its SurveyTime is long
	}
}

// The socket's own survey ends with ErrSurveyEnded, which also reads as
// sp.ErrTimeout; Survey refuses sockets it cannot survey on.
func TestSurveyErrors(t *testing.T) {
	s := newSurveyor(t, 50*time.Millisecond)
	ctx := sptest.Ctx(t)
	require.NoError(t, s.Send(ctx, []byte("nobody")))
	_, err := s.Recv(ctx)
	require.ErrorIs(t, err, surveyor.ErrSurveyEnded)
	require.ErrorIs(t, err, sp.ErrTimeout)
	require.ErrorIs(t, err, context.DeadlineExceeded)

	for _, ctor := range []func() (sp.Socket, error){surveyor.NewRawSocket, pub.NewSocket} {
		_, err := surveyor.SurveyAll(ctx, sptest.New(t, ctor), []byte("x"))
		require.ErrorIs(t, err, sp.ErrNotSupported)
	}
}
