package respondent_test

import (
	"testing"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/sptest"
	"github.com/spgo/sp/internal/wire"
	"github.com/spgo/sp/protocol/respondent"
	"github.com/spgo/sp/protocol/surveyor"
	"github.com/stretchr/testify/require"
)

// Send answers the survey received last, once; without one it fails with
// sp.ErrBadState.
func TestSendNeedsSurvey(t *testing.T) {
	s := newSurveyor(t, surveyor.NewSocket)
	r := sptest.New(t, respondent.NewSocket)
	sptest.Connect(t, r, s, sptest.InprocAddr())
	ctx := sptest.Ctx(t)
	c, err := r.OpenContext()
	require.NoError(t, err)
	for name, x := range map[string]exchanger{"socket": r, "context": c} {
		err := x.Send(ctx, []byte("unasked"))
		require.ErrorIs(t, err, sp.ErrBadState, "%s: Send before any survey: got %v, want ErrBadState", name, err)
	}
	require.NoError(t, s.Send(ctx, []byte("q")))
	q, err := r.Recv(ctx)
	require.NoError(t, err)
	require.Equal(t, "q", string(q))
	require.NoError(t, r.Send(ctx, []byte("a")))
	err = r.Send(ctx, []byte("again"))
	require.ErrorIs(t, err, sp.ErrBadState, "a second answer to one survey: got %v, want ErrBadState", err)
	a, err := s.Recv(ctx)
	require.NoError(t, err)
	require.Equal(t, "a", string(a))
}

// An answer to a surveyor that has gone is dropped without error, by cooked
// and raw respondents.
func TestAnswerToGoneSurveyor(t *testing.T) {
	for _, tc := range []struct {
		name string
		ctor func() (sp.Socket, error)
	}{{"cooked", respondent.NewSocket}, {"raw", respondent.NewRawSocket}} {
		t.Run(tc.name, func(t *testing.T) {
			sptest.Transports(t, func(t *testing.T, tr sptest.Transport) {
				s := newSurveyor(t, surveyor.NewSocket)
				r := sptest.New(t, tc.ctor)
				pipes := sptest.CountPipes(r, nil)
				addr := sptest.Listen(t, r, tr.Addr(t))
				sptest.Dial(t, s, addr)
				pipes.WaitLive(t, 1)
				ctx := sptest.Ctx(t)
				require.NoError(t, s.Send(ctx, []byte("q")))
				m, err := r.RecvMsg(ctx)
				require.NoError(t, err)
				require.Equal(t, "q", string(m.Body))
				require.NoError(t, s.Close())
				pipes.WaitLive(t, 0)
				m.Body = append(m.Body[:0], "nobody listens"...)
				require.NoError(t, r.SendMsg(ctx, m), "answer to a gone surveyor")
			})
		})
	}
}

// A raw respondent drops a message whose Header names no pipe.
func TestRawSendWithoutRoute(t *testing.T) {
	r := sptest.New(t, respondent.NewRawSocket)
	isRaw, err := sp.GetOption(r, sp.Raw)
	require.NoError(t, err)
	require.True(t, isRaw)
	ctx := sptest.Ctx(t)
	for _, h := range [][]byte{nil, {1, 2}, wire.AppendUint32(wire.AppendUint32(nil, 0x7ffffff0), 0x80000001)} {
		m := sp.NewMessage(0)
		m.Header = append(m.Header, h...)
		require.NoError(t, r.SendMsg(ctx, m), "header % x", h)
	}
}
