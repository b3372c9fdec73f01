package respondent_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/sptest"
	"github.com/spgo/sp/protocol/respondent"
	"github.com/spgo/sp/protocol/surveyor"
	"github.com/stretchr/testify/require"
)

// Serve answers each surveyor's surveys to that surveyor, and a handler
// that returns an error simply does not answer.
func TestServe(t *testing.T) {
	sptest.Transports(t, func(t *testing.T, tr sptest.Transport) {
		r := sptest.New(t, respondent.NewSocket)
		ctx, cancel := context.WithCancel(sptest.Ctx(t))
		done := make(chan error, 1)
		go func() {
			done <- respondent.Serve(ctx, r, func(_ context.Context, q []byte) ([]byte, error) {
				if string(q) == "skip" {
					return nil, errors.New("not answering that")
				}
				return append([]byte("re:"), q...), nil
			})
		}()
		defer func() {
			cancel()
			require.ErrorIs(t, <-done, context.Canceled)
		}()
		ss := make([]sp.Socket, 3)
		for i := range ss {
			ss[i] = sptest.New(t, surveyor.NewSocket)
			require.NoError(t, sp.SetOption(ss[i], surveyor.SurveyTime, sptest.Timeout/4))
			sptest.Connect(t, r, ss[i], tr.Addr(t))
		}
		for i, s := range ss {
			q := fmt.Sprintf("s%d", i)
			for a, err := range surveyor.Survey(ctx, s, []byte(q)) {
				require.NoError(t, err)
				require.Equal(t, "re:"+q, string(a))
				break
			}
		}
		short, stop := context.WithTimeout(ctx, sptest.Timeout/20)
		defer stop()
		got, err := surveyor.SurveyAll(short, ss[0], []byte("skip"))
		require.ErrorIs(t, err, sp.ErrTimeout)
		require.Empty(t, got)
		sptest.Eventually(t, "the handler's error counted", func() bool {
			return r.Stats().Counters["handler_errors"] == 1
		})
	})
}
