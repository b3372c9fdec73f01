package respondent_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/sptest"
	"github.com/spgo/sp/internal/wire"
	"github.com/spgo/sp/protocol/respondent"
	"github.com/spgo/sp/protocol/surveyor"
	"github.com/stretchr/testify/require"
)

// One respondent connected to several surveyors answers each survey to the
// surveyor that sent it. Raw surveyors all use the same survey id, so that an
// answer sent to the wrong one would not be filtered out but seen.
func TestAnswersTheRightSurveyor(t *testing.T) {
	for _, tc := range []struct {
		name        string
		surveyors   int
		newSurveyor func() (sp.Socket, error)
	}{
		{"2-cooked", 2, surveyor.NewSocket},
		{"5-cooked", 5, surveyor.NewSocket},
		{"5-raw-same-id", 5, surveyor.NewRawSocket},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sptest.Transports(t, func(t *testing.T, tr sptest.Transport) {
				r := sptest.New(t, respondent.NewSocket)
				ss := make([]exchanger, tc.surveyors)
				for i := range ss {
					s := newSurveyor(t, tc.newSurveyor)
					sptest.Connect(t, r, s, tr.Addr(t))
					ss[i] = s
					if raw, _ := sp.GetOption(s, sp.Raw); !raw {
						// a round starts before the last survey ends,
						// which the socket itself refuses
						c, err := s.OpenContext()
						require.NoError(t, err)
						defer c.Close()
						ss[i] = c
					}
				}
				sptest.Answer(t, r, func(q []byte) []byte { return append([]byte("re:"), q...) })
				ctx := sptest.Ctx(t)
				for round := range 3 {
					for i, s := range ss {
						m := sp.NewMessage(0)
						m.Header = wire.AppendUint32(m.Header, 0x80000001) // ignored by cooked sockets
						m.Body = fmt.Appendf(m.Body, "s%d-q%d", i, round)
						require.NoError(t, s.SendMsg(ctx, m))
					}
					for i, s := range ss {
						got, err := s.Recv(ctx)
						require.NoError(t, err, "surveyor %d", i)
						want := fmt.Sprintf("re:s%d-q%d", i, round)
						require.Equal(t, want, string(got), "surveyor %d: got %q, want %q", i, got, want)
					}
				}
			})
		})
	}
}

// Many contexts of one respondent serve concurrent surveys: every context
// holds its survey until all have one, which a respondent that served one
// survey at a time could never do.
func TestContextsServeConcurrently(t *testing.T) {
	for _, n := range []int{2, 8} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			sptest.Transports(t, func(t *testing.T, tr sptest.Transport) {
				s := newSurveyor(t, surveyor.NewSocket)
				r := sptest.New(t, respondent.NewSocket)
				sptest.Connect(t, r, s, tr.Addr(t))
				ctx := sptest.Ctx(t)

				var held sync.WaitGroup // contexts holding a survey
				held.Add(n)
				var wg sync.WaitGroup
				errs := make(chan error, 2*n)
				for i := range n {
					c, err := r.OpenContext()
					require.NoError(t, err)
					wg.Add(1)
					go func() {
						defer wg.Done()
						q, err := c.Recv(ctx)
						if err != nil {
							errs <- fmt.Errorf("respondent context %d: %w", i, err)
							held.Done()
							return
						}
						held.Done()
						held.Wait()
						errs <- c.Send(ctx, append([]byte("re:"), q...))
					}()
				}
				for i := range n {
					c, err := s.OpenContext()
					require.NoError(t, err)
					wg.Add(1)
					go func() {
						defer wg.Done()
						q := fmt.Sprintf("q%d", i)
						if err := c.Send(ctx, []byte(q)); err != nil {
							errs <- err
							return
						}
						got, err := c.Recv(ctx)
						if err == nil && string(got) != "re:"+q {
							err = fmt.Errorf("surveyor context %d: got %q, want %q", i, got, "re:"+q)
						}
						errs <- err
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

// The answer carries the survey's backtrace back; a backtrace deeper than
// sp.MaxTTL is dropped, and one that never ends closes the pipe.
func TestBacktrace(t *testing.T) {
	sptest.Transports(t, func(t *testing.T, tr sptest.Transport) {
		s := newSurveyor(t, surveyor.NewRawSocket)
		pipes := sptest.CountPipes(s, nil)
		r := sptest.New(t, respondent.NewSocket)
		addr := sptest.Listen(t, s, tr.Addr(t))
		sptest.Dial(t, r, addr)
		pipes.WaitLive(t, 1)
		ctx := sptest.Ctx(t)
		send := func(header []byte, body string) {
			m := sp.NewMessage(0)
			m.Header = append(m.Header, header...)
			m.Body = append(m.Body, body...)
			require.NoError(t, s.SendMsg(ctx, m))
		}
		backtrace := func(hops int) []byte {
			var b []byte
			for i := range hops {
				b = wire.AppendUint32(b, uint32(100+i))
			}
			return wire.AppendUint32(b, 0x80000007)
		}

		send(backtrace(8), "too deep") // 9 words: over MaxTTL 8, dropped
		send(backtrace(7), "deep")     // 8 words: delivered
		q, err := r.Recv(ctx)
		require.NoError(t, err)
		require.Equal(t, "deep", string(q), "the survey over MaxTTL must be dropped")
		require.NoError(t, r.Send(ctx, []byte("answer")))
		a, err := s.RecvMsg(ctx)
		require.NoError(t, err)
		require.Equal(t, "answer", string(a.Body))
		require.Equal(t, backtrace(7), a.Header, "the answer's backtrace")

		send([]byte{0, 0, 0, 1, 0, 0, 0, 2}, "") // never ends
		pipes.WaitAdded(t, 2)                    // closed, and the dialer came back
		pipes.WaitLive(t, 1)
		send(backtrace(0), "after")
		q, err = r.Recv(ctx)
		require.NoError(t, err)
		require.Equal(t, "after", string(q))
	})
}
