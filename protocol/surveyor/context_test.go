package surveyor_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/sptest"
	"github.com/spgo/sp/internal/wire"
	"github.com/spgo/sp/protocol/respondent"
	"github.com/spgo/sp/protocol/surveyor"
	"github.com/stretchr/testify/require"
)

// Concurrent surveys on one socket, one per context, each get their own
// answers and only those.
func TestContextsConcurrentSurveys(t *testing.T) {
	for _, tc := range []struct{ contexts, respondents int }{{2, 1}, {4, 3}, {16, 2}} {
		t.Run(fmt.Sprintf("%d-contexts-%d-respondents", tc.contexts, tc.respondents), func(t *testing.T) {
			sptest.Transports(t, func(t *testing.T, tr sptest.Transport) {
				s := newSurveyor(t, long)
				for i, r := range respondents(t, tr, s, tc.respondents) {
					sptest.Answer(t, r, tagged(fmt.Sprintf("r%d", i)))
				}
				var wg sync.WaitGroup
				errs := make(chan error, tc.contexts)
				for i := range tc.contexts {
					c, err := s.OpenContext()
					require.NoError(t, err)
					wg.Add(1)
					go func() {
						defer wg.Done()
						errs <- surveyRounds(c, i, tc.respondents)
					}()
				}
				wg.Wait()
				close(errs)
				for err := range errs {
					require.NoError(t, err)
				}
			})
		})
	}
}

// surveyRounds runs a few surveys on context number i and checks that each
// gets exactly the n answers to it.
func surveyRounds(c sp.Context, i, n int) error {
	ctx, cancel := context.WithTimeout(context.Background(), sptest.Timeout)
	defer cancel()
	for round := range 5 {
		q := fmt.Sprintf("c%d-q%d", i, round)
		if err := c.Send(ctx, []byte(q)); err != nil {
			return fmt.Errorf("context %d: Send %s: %w", i, q, err)
		}
		seen := map[string]bool{}
		for range n {
			b, err := c.Recv(ctx)
			if err != nil {
				return fmt.Errorf("context %d: Recv for %s: %w (got %v)", i, q, err, seen)
			}
			seen[string(b)] = true
		}
		w := want(n, q)
		for _, a := range w {
			if !seen[a] {
				return fmt.Errorf("context %d: answers to %s: got %v, want %q", i, q, seen, w)
			}
		}
	}
	return nil
}

// SurveyTime is the socket's default for new contexts, and each context
// may have its own; bad values are refused.
func TestSurveyTimeOption(t *testing.T) {
	s := sptest.New(t, surveyor.NewSocket)
	got, err := sp.GetOption(s, surveyor.SurveyTime)
	require.NoError(t, err)
	require.Equal(t, time.Second, got, "default SurveyTime")
	require.NoError(t, sp.SetOption(s, surveyor.SurveyTime, short))
	c, err := s.OpenContext()
	require.NoError(t, err)
	got, err = sp.GetOption(c, surveyor.SurveyTime)
	require.NoError(t, err)
	require.Equal(t, short, got, "a new context's SurveyTime")
	require.NoError(t, sp.SetOption(c, surveyor.SurveyTime, long))
	got, err = sp.GetOption(s, surveyor.SurveyTime)
	require.NoError(t, err)
	require.Equal(t, short, got, "the socket's SurveyTime after a context's changed")
	for _, bad := range []time.Duration{0, -time.Second} {
		require.ErrorIs(t, sp.SetOption(s, surveyor.SurveyTime, bad), sp.ErrBadOption, "socket SurveyTime %v", bad)
		require.ErrorIs(t, sp.SetOption(c, surveyor.SurveyTime, bad), sp.ErrBadOption, "context SurveyTime %v", bad)
	}
}

// Raw surveyors send the Header as given and receive the survey id in
// Header; they talk to cooked and raw respondents alike.
func TestRawRoundTrip(t *testing.T) {
	for _, rawResp := range []bool{false, true} {
		t.Run(fmt.Sprintf("raw-respondent=%v", rawResp), func(t *testing.T) {
			sptest.Transports(t, func(t *testing.T, tr sptest.Transport) {
				s := sptest.New(t, surveyor.NewRawSocket)
				isRaw, err := sp.GetOption(s, sp.Raw)
				require.NoError(t, err)
				require.True(t, isRaw)
				newResp := respondent.NewSocket
				if rawResp {
					newResp = respondent.NewRawSocket
				}
				r := sptest.New(t, newResp)
				sptest.Connect(t, r, s, tr.Addr(t))
				ctx := sptest.Ctx(t)
				for _, id := range []uint32{0x80000001, 0xfffffffe} {
					q := sp.NewMessage(0)
					q.Header = wire.AppendUint32(q.Header, id)
					q.Body = append(q.Body, "raw survey"...)
					require.NoError(t, s.SendMsg(ctx, q))

					m, err := r.RecvMsg(ctx)
					require.NoError(t, err)
					require.Equal(t, "raw survey", string(m.Body))
					if rawResp {
						require.Len(t, m.Header, 8, "raw respondent header: pipe id, survey id")
						require.Equal(t, id, wire.Uint32(m.Header[4:]))
						m.Body = append(m.Body[:0], "raw answer"...)
						require.NoError(t, r.SendMsg(ctx, m))
					} else {
						require.Empty(t, m.Header)
						require.NoError(t, r.Send(ctx, []byte("raw answer")))
					}

					a, err := s.RecvMsg(ctx)
					require.NoError(t, err)
					require.Equal(t, "raw answer", string(a.Body))
					require.Equal(t, wire.AppendUint32(nil, id), a.Header, "answer header: the survey id")
				}
			})
		})
	}
}
