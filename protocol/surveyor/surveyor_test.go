package surveyor_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/sptest"
	"github.com/spgo/sp/protocol/respondent"
	"github.com/spgo/sp/protocol/surveyor"
	"github.com/stretchr/testify/require"
)

// A survey reaches every respondent, and each answer comes back once.
func TestSurveyReachesEveryRespondent(t *testing.T) {
	for _, n := range []int{1, 3, 8} {
		t.Run(fmt.Sprintf("%d-respondents", n), func(t *testing.T) {
			sptest.Transports(t, func(t *testing.T, tr sptest.Transport) {
				s := newSurveyor(t, long)
				for i, r := range respondents(t, tr, s, n) {
					serve(t, r, tagged(fmt.Sprintf("r%d", i)))
				}
				ctx := sptest.Ctx(t)
				c := surveyCtx(t, s) // a round starts before the last survey ends
				for round := range 3 {
					q := fmt.Sprintf("q%d", round)
					require.NoError(t, c.Send(ctx, []byte(q)))
					got := collect(t, c, n)
					require.Equal(t, want(n, q), got, "round %d: got %q, want %q", round, got, want(n, q))
				}
			})
		})
	}
}

// The survey's deadline ends Recv with sp.ErrTimeout, also when no one
// answers, and every Recv after it fails the same way until the next survey.
func TestSurveyDeadline(t *testing.T) {
	sptest.Transports(t, func(t *testing.T, tr sptest.Transport) {
		s := newSurveyor(t, short)
		r := respondents(t, tr, s, 1)[0]
		ctx := sptest.Ctx(t)

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
		requireEnds(t, s)
		took := time.Since(start)
		require.GreaterOrEqual(t, took, short, "the survey ended after %v, before its %v", took, short)
		require.Less(t, took, short+5*time.Second, "the survey ended after %v, want about %v", took, short)
		requireEnds(t, s)

		// Answers that came in time can still be read after the deadline.
		require.NoError(t, s.Send(ctx, []byte("again")))
		_, err = rc.Recv(ctx)
		require.NoError(t, err)
		require.NoError(t, rc.Send(ctx, []byte("in time")))
		b, err := s.Recv(ctx)
		require.NoError(t, err)
		require.Equal(t, "in time", string(b))
		requireEnds(t, s)
	})
}

// An answer that arrives after the deadline is dropped: the next survey's
// Recv does not see it either.
func TestLateAnswerDropped(t *testing.T) {
	sptest.Transports(t, func(t *testing.T, tr sptest.Transport) {
		s := newSurveyor(t, short)
		r := respondents(t, tr, s, 1)[0]
		ctx := sptest.Ctx(t)

		require.NoError(t, s.Send(ctx, []byte("q1")))
		_, err := r.Recv(ctx)
		require.NoError(t, err)
		requireEnds(t, s)
		require.NoError(t, r.Send(ctx, []byte("late")))

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

// A new survey cancels the old one: answers to the old one, whether they
// wait unread or arrive afterwards, are dropped.
func TestNewSurveyCancelsOld(t *testing.T) {
	sptest.Transports(t, func(t *testing.T, tr sptest.Transport) {
		sock := newSurveyor(t, long)
		r := sptest.New(t, respondent.NewRawSocket)
		sptest.Connect(t, r, sock, tr.Addr(t))
		ctx := sptest.Ctx(t)
		s := surveyCtx(t, sock) // the socket itself refuses a survey while one is live
		other, err := sock.OpenContext()
		require.NoError(t, err)
		recvRaw := func(want string) *sp.Message {
			m, err := r.RecvMsg(ctx)
			require.NoError(t, err)
			require.Equal(t, want, string(m.Body))
			return m
		}
		answer := func(q *sp.Message, body string) {
			a := sp.NewMessage(0)
			a.Header = append(a.Header, q.Header...)
			a.Body = append(a.Body, body...)
			require.NoError(t, r.SendMsg(ctx, a))
		}

		// The answer to q1 is queued, unread, when q2 replaces q1: once the
		// other context has its answer, sent after a1 on the same
		// connection, a1 has been received.
		require.NoError(t, s.Send(ctx, []byte("q1")))
		require.NoError(t, other.Send(ctx, []byte("o")))
		answer(recvRaw("q1"), "a1")
		answer(recvRaw("o"), "o1")
		require.Equal(t, []string{"o1"}, collect(t, other, 1))
		require.NoError(t, s.Send(ctx, []byte("q2")))
		q2 := recvRaw("q2")
		answer(q2, "a2")
		require.Equal(t, []string{"a2"}, collect(t, s, 1), "the unread answer to q1 must be gone")

		// An answer to q2 arrives after q3 was sent, before q3's own.
		require.NoError(t, s.Send(ctx, []byte("q3")))
		q3 := recvRaw("q3")
		answer(q2, "a2-late")
		answer(q3, "a3")
		require.Equal(t, []string{"a3"}, collect(t, s, 1), "only the answer to the current survey")
	})
}

// An answer too short to carry a survey id is garbage: it closes the pipe,
// and the respondent's dialer comes back.
func TestShortAnswerClosesPipe(t *testing.T) {
	sptest.Transports(t, func(t *testing.T, tr sptest.Transport) {
		s := newSurveyor(t, long)
		pipes := sptest.CountPipes(s, nil)
		r := sptest.New(t, respondent.NewRawSocket)
		sptest.Dial(t, r, sptest.Listen(t, s, tr.Addr(t)))
		pipes.WaitLive(t, 1)
		ctx := sptest.Ctx(t)
		require.NoError(t, s.Send(ctx, []byte("q")))
		m, err := r.RecvMsg(ctx)
		require.NoError(t, err)
		m.Header, m.Body = m.Header[:4], m.Body[:0] // the route, nothing else
		require.NoError(t, r.SendMsg(ctx, m))
		pipes.WaitAdded(t, 2)
		pipes.WaitLive(t, 1)
	})
}
