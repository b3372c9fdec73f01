package req_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/leaktest"
	"github.com/spgo/sp/internal/sptest"
	"github.com/spgo/sp/protocol/rep"
	"github.com/spgo/sp/protocol/req"
	"github.com/stretchr/testify/require"
)

func TestMain(m *testing.M) { leaktest.VerifyTestMain(m) }

func echo(prefix string) func([]byte) []byte {
	return func(q []byte) []byte { return append([]byte(prefix), q...) }
}

// repContext opens a context on the rep socket s, for tests that leave
// requests unanswered.
func repContext(t *testing.T, s sp.Socket) sp.Context {
	t.Helper()
	c, err := s.OpenContext()
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

// ask sends q on r and returns the reply.
func ask(t *testing.T, r sp.Socket, q string) string {
	t.Helper()
	ctx := sptest.Ctx(t)
	require.NoError(t, r.Send(ctx, []byte(q)), "Send(%q)", q)
	b, err := r.Recv(ctx)
	require.NoError(t, err, "Recv reply to %q", q)
	return string(b)
}

// A request over the rep's limit closes the requester's pipe (see
// TestConformance); giving up on it cancels it, and says why it had no
// answer; then a small one gets its reply.
func TestReqRepTooLargeSaysLost(t *testing.T) {
	sptest.Transports(t, func(t *testing.T, tr sptest.Transport) {
		a := sptest.New(t, rep.NewSocket)
		pipes := sptest.CountPipes(a, nil)
		big := sptest.New(t, req.NewSocket)
		sptest.Dial(t, big, sptest.Listen(t, a, tr.Addr(t)))
		pipes.WaitLive(t, 1)
		sptest.Answer(t, a, echo("ok "))
		ctx := sptest.Ctx(t)
		require.NoError(t, big.Send(ctx, make([]byte, 1<<20+1)))
		pipes.WaitAdded(t, 2) // big's pipe was closed and it reconnected
		short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		defer cancel()
		_, err := big.Recv(short)
		require.ErrorIs(t, err, sp.ErrTimeout)
		require.Contains(t, err.Error(), "connection to a rep peer was lost", "got %v, want the lost connections named", err)
		require.Equal(t, "ok small now", ask(t, big, "small now"))
	})
}

// Fifty requesters at once each get the answer to their own request.
func TestManyRequesters(t *testing.T) {
	sptest.Transports(t, func(t *testing.T, tr sptest.Transport) {
		const n, rounds = 50, 4
		a := sptest.New(t, rep.NewSocket)
		pipes := sptest.CountPipes(a, nil)
		addr := sptest.Listen(t, a, tr.Addr(t))
		reqs := make([]sp.Socket, n)
		for i := range reqs {
			reqs[i] = sptest.New(t, req.NewSocket)
			sptest.Dial(t, reqs[i], addr)
		}
		pipes.WaitLive(t, n)
		sptest.Answer(t, a, echo("answer to "))
		ctx := sptest.Ctx(t)
		errs := make(chan error, n)
		for i, q := range reqs {
			go func() {
				for r := range rounds {
					ask := fmt.Sprintf("%d/%d", i, r)
					if err := q.Send(ctx, []byte(ask)); err != nil {
						errs <- err
						return
					}
					b, err := q.Recv(ctx)
					if err != nil {
						errs <- fmt.Errorf("requester %d: %w", i, err)
						return
					}
					if want := "answer to " + ask; string(b) != want {
						errs <- fmt.Errorf("requester %d: got %q, want %q", i, b, want)
						return
					}
				}
				errs <- nil
			}()
		}
		for range n {
			require.NoError(t, <-errs)
		}
	})
}

// Rep contexts answer concurrent requests out of order, each to its own
// requester.
func TestRepContexts(t *testing.T) {
	sptest.Transports(t, func(t *testing.T, tr sptest.Transport) {
		a := sptest.New(t, rep.NewSocket)
		pipes := sptest.CountPipes(a, nil)
		addr := sptest.Listen(t, a, tr.Addr(t))
		q1, q2 := sptest.New(t, req.NewSocket), sptest.New(t, req.NewSocket)
		sptest.Dial(t, q1, addr)
		sptest.Dial(t, q2, addr)
		pipes.WaitLive(t, 2)
		ctx := sptest.Ctx(t)
		c1, err := a.OpenContext()
		require.NoError(t, err)
		c2, err := a.OpenContext()
		require.NoError(t, err)
		require.NoError(t, q1.Send(ctx, []byte("one")))
		require.NoError(t, q2.Send(ctx, []byte("two")))
		first, err := c1.Recv(ctx)
		require.NoError(t, err)
		second, err := c2.Recv(ctx)
		require.NoError(t, err)
		require.NoError(t, c2.Send(ctx, append([]byte("re "), second...))) // answer the later first
		require.NoError(t, c1.Send(ctx, append([]byte("re "), first...)))
		for _, x := range []struct {
			s    sp.Socket
			want string
		}{{q1, "re one"}, {q2, "re two"}} {
			b, err := x.s.Recv(ctx)
			require.NoError(t, err)
			require.Equal(t, x.want, string(b))
		}
		require.NoError(t, c1.Close())
		_, err = c1.Recv(ctx)
		require.ErrorIs(t, err, sp.ErrClosed)
	})
}

// The rep that got the request dies before it answers: the request goes to
// another rep, which answers.
func TestReqResendWhenRepDies(t *testing.T) {
	sptest.Transports(t, func(t *testing.T, tr sptest.Transport) {
		q := sptest.New(t, req.NewSocket)
		require.NoError(t, sp.SetOption(q, req.ResendTime, 100*time.Millisecond))
		pipes := sptest.CountPipes(q, nil)
		dying, backup := sptest.New(t, rep.NewSocket), sptest.New(t, rep.NewSocket)
		sptest.Dial(t, q, sptest.Listen(t, dying, tr.Addr(t)))
		ctx := sptest.Ctx(t)
		require.NoError(t, q.Send(ctx, []byte("work")))
		b, err := dying.Recv(ctx)
		require.NoError(t, err)
		require.Equal(t, "work", string(b))

		sptest.Dial(t, q, sptest.Listen(t, backup, tr.Addr(t)))
		pipes.WaitLive(t, 2)
		require.NoError(t, dying.Close())
		b, err = backup.Recv(ctx)
		require.NoError(t, err)
		require.Equal(t, "work", string(b))
		require.NoError(t, backup.Send(ctx, []byte("done")))
		b, err = q.Recv(ctx)
		require.NoError(t, err)
		require.Equal(t, "done", string(b))
	})
}

// A new Send cancels the request before it: its late reply is dropped.
// On a context, a new Send cancels the request before it (as in nng); on
// the socket itself it fails instead, as the exchange before it is not
// over (see TestSharedReqSocket).
func TestReqNewSendCancelsOld(t *testing.T) {
	sptest.Transports(t, func(t *testing.T, tr sptest.Transport) {
		s, a := sptest.Pair(t, tr, req.NewSocket, rep.NewSocket)
		q, err := s.OpenContext()
		require.NoError(t, err)
		ctx := sptest.Ctx(t)
		require.NoError(t, q.Send(ctx, []byte("old")))
		b, err := a.Recv(ctx)
		require.NoError(t, err)
		require.Equal(t, "old", string(b))
		require.NoError(t, q.Send(ctx, []byte("new")))
		require.NoError(t, a.Send(ctx, []byte("late answer to old")))
		b, err = a.Recv(ctx)
		require.NoError(t, err)
		require.Equal(t, "new", string(b))
		require.NoError(t, a.Send(ctx, []byte("answer to new")))
		b, err = q.Recv(ctx)
		require.NoError(t, err)
		require.Equal(t, "answer to new", string(b), "got %q: the late reply to a canceled request must be dropped", b)
	})
}
