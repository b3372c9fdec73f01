package respondent_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"testing/synctest"
	"time"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/sptest"
	"github.com/spgo/sp/protocol/respondent"
	"github.com/spgo/sp/protocol/surveyor"
	"github.com/stretchr/testify/require"
)

// Serve answers each surveyor's surveys to that surveyor, and a handler
// that returns an error simply does not answer: the survey it skips gets
// nothing until the caller's deadline, at exactly that time. It runs in a
// synctest bubble over inproc, on fake time (the deadline is the
// surveyor's, not the transport's), with the handlers on contexts and
// inline (Server.Inline).
func TestServe(t *testing.T) {
	for _, inline := range []bool{false, true} {
		t.Run(fmt.Sprintf("inline=%v", inline), func(t *testing.T) { testServe(t, inline) })
	}
}

func testServe(t *testing.T, inline bool) {
	synctest.Test(t, func(t *testing.T) {
		const deadline = sptest.Timeout / 20
		r := sptest.New(t, respondent.NewSocket)
		ctx, cancel := context.WithCancel(sptest.Ctx(t))
		done := make(chan error, 1)
		go func() {
			srv := respondent.Server{Inline: inline, Handler: func(_ context.Context, q []byte) ([]byte, error) {
				if string(q) == "skip" {
					return nil, errors.New("not answering that")
				}
				return append([]byte("re:"), q...), nil
			}}
			done <- srv.Serve(ctx, r)
		}()
		defer func() {
			cancel()
			require.ErrorIs(t, <-done, context.Canceled)
		}()
		ss := make([]sp.Socket, 3)
		for i := range ss {
			ss[i] = sptest.New(t, surveyor.NewSocket)
			require.NoError(t, sp.SetOption(ss[i], surveyor.SurveyTime, sptest.Timeout/4))
			sptest.Connect(t, r, ss[i], sptest.InprocAddr())
		}
		for i, s := range ss {
			q := fmt.Sprintf("s%d", i)
			for a, err := range surveyor.Survey(ctx, s, []byte(q)) {
				require.NoError(t, err)
				require.Equal(t, "re:"+q, string(a))
				break
			}
		}
		start := time.Now()
		short, stop := context.WithTimeout(ctx, deadline)
		defer stop()
		got, err := surveyor.SurveyAll(short, ss[0], []byte("skip"))
		require.ErrorIs(t, err, sp.ErrTimeout)
		require.Empty(t, got)
		require.Equal(t, deadline, time.Since(start), "SurveyAll returned after %v, want %v", time.Since(start), deadline)
		synctest.Wait()
		n := r.Stats().Counters["handler_errors"]
		require.Equal(t, uint64(1), n, "handler errors: got %d, want 1", n)
	})
}
