package sp_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/leaktest"
	"github.com/spgo/sp/internal/msgtrack"
	"github.com/spgo/sp/internal/sptest"
	"github.com/spgo/sp/protocol/pull"
	"github.com/spgo/sp/protocol/push"
	"github.com/spgo/sp/protocol/rep"
	"github.com/spgo/sp/protocol/req"
	"github.com/spgo/sp/protocol/respondent"
	"github.com/spgo/sp/protocol/surveyor"
)

// recordingTB records a check's failures instead of failing the test.
type recordingTB struct {
	testing.TB // nil: calling a method not overridden below panics
	mu         sync.Mutex
	errs       []string
}

func (r *recordingTB) Helper() {}

func (r *recordingTB) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func (r *recordingTB) failures() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.errs...)
}

// dropWhatTheLibraryHolds stands in for a path of the library that drops a
// message it took over without Free.
//
//go:noinline
func dropWhatTheLibraryHolds() {
	m := sp.NewMessage(64)
	msgtrack.ToLibrary(m)
}

// The message check tells what the library dropped (lost to the pool) from
// what the application dropped, which it may: each way a message leaves
// the library for the application hands it over.
func TestMessagesDroppedByTheApplication(t *testing.T) {
	const n = 20
	tests := []struct {
		name string
		run  func(t *testing.T, tr sptest.Transport)
		lost int
	}{
		{"Socket.RecvMsg", func(t *testing.T, tr sptest.Transport) {
			tx, rx := sptest.Pair(t, tr, push.NewSocket, pull.NewSocket)
			ctx := sptest.Ctx(t)
			for range n {
				require.NoError(t, tx.Send(ctx, []byte("hello")))
				_, err := rx.RecvMsg(ctx) // dropped
				require.NoError(t, err)
			}
		}, 0},
		{"Context.RecvMsg", func(t *testing.T, tr sptest.Transport) {
			q, r := sptest.Pair(t, tr, req.NewSocket, rep.NewSocket)
			ctx := sptest.Ctx(t)
			qc, err := q.OpenContext()
			require.NoError(t, err)
			rc, err := r.OpenContext()
			require.NoError(t, err)
			for range n {
				require.NoError(t, qc.Send(ctx, []byte("ping")))
				m, err := rc.RecvMsg(ctx)
				require.NoError(t, err)
				require.NoError(t, rc.Send(ctx, m.Body)) // m dropped
				_, err = qc.RecvMsg(ctx)                 // dropped
				require.NoError(t, err)
			}
		}, 0},
		{"req.Request and rep.Serve", func(t *testing.T, tr sptest.Transport) {
			q, r := sptest.Pair(t, tr, req.NewSocket, rep.NewSocket)
			ctx, cancel := context.WithCancel(sptest.Ctx(t))
			served := make(chan error, 1)
			go func() {
				served <- rep.Serve(ctx, r, func(_ context.Context, b []byte) ([]byte, error) { return b, nil })
			}()
			for range n {
				_, err := req.Request(ctx, q, []byte("ping"))
				require.NoError(t, err)
			}
			cancel()
			<-served
		}, 0},
		{"surveyor.SurveyAll", func(t *testing.T, tr sptest.Transport) {
			s, r := sptest.Pair(t, tr, surveyor.NewSocket, respondent.NewSocket)
			require.NoError(t, sp.SetOption(s, surveyor.SurveyTime, 50*time.Millisecond))
			ctx, cancel := context.WithCancel(sptest.Ctx(t))
			served := make(chan error, 1)
			go func() {
				served <- respondent.Serve(ctx, r, func(_ context.Context, b []byte) ([]byte, error) { return b, nil })
			}()
			sptest.Eventually(t, "an answer", func() bool {
				answers, err := surveyor.SurveyAll(ctx, s, []byte("who?"))
				return err == nil && len(answers) == 1
			})
			cancel()
			<-served
		}, 0},
		{"dropped by the library", func(t *testing.T, _ sptest.Transport) {
			for range n {
				dropWhatTheLibraryHolds()
			}
		}, n},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sptest.Transports(t, func(t *testing.T, tr sptest.Transport) {
				fake := &recordingTB{}
				verify := leaktest.CheckMessages(fake)
				if !msgtrack.Enabled() {
					t.Skip("messages are not tracked in a binary that runs benchmarks")
				}
				t.Cleanup(func() { // after the sockets' Close
					verify()
					failures := fake.failures()
					if tt.lost == 0 {
						require.Emptyf(t, failures, "got failures %q, want none", failures)
						return
					}
					require.Lenf(t, failures, 1, "got %d failures, want 1: %q", len(failures), failures)
					want := fmt.Sprintf("%d pooled message(s)", tt.lost)
					require.Truef(t, strings.Contains(failures[0], want) && strings.Contains(failures[0], "dropWhatTheLibraryHolds"),
						"got failure:\n%s\nwant %q, at dropWhatTheLibraryHolds", failures[0], want)
				})
				tt.run(t, tr)
			})
		})
	}
}
