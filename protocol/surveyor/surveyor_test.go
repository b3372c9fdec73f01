package surveyor_test

import (
	"fmt"
	"testing"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/sptest"
	"github.com/spgo/sp/protocol/respondent"
	"github.com/stretchr/testify/require"
)

// A survey reaches every respondent, and each answer comes back once.
func TestSurveyReachesEveryRespondent(t *testing.T) {
	for _, n := range []int{1, 3, 8} {
		t.Run(fmt.Sprintf("%d-respondents", n), func(t *testing.T) {
			sptest.Transports(t, func(t *testing.T, tr sptest.Transport) {
				s := newSurveyor(t, long)
				for i, r := range respondents(t, tr, s, n) {
					sptest.Answer(t, r, tagged(fmt.Sprintf("r%d", i)))
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
