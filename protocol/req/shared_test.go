package req_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/sptest"
	"github.com/spgo/sp/protocol/rep"
	"github.com/spgo/sp/protocol/req"
	"github.com/stretchr/testify/require"
)

// Goroutines that share a bare rep socket (no contexts) never answer a
// request with the reply meant for another: the socket refuses, with
// sp.ErrBadState, a Recv that would replace a request another goroutine
// is still answering. Over 1,000 exchanges from eight requesters, every
// reply is the right one.
func TestSharedRepSocket(t *testing.T) {
	const servers, clients, total = 4, 8, 1000
	sptest.Transports(t, func(t *testing.T, tr sptest.Transport) {
		server := sptest.New(t, rep.NewSocket)
		addr := sptest.Listen(t, server, tr.Addr(t))
		ctx, cancel := context.WithCancel(sptest.Ctx(t))
		var refused atomic.Int64
		var wg sync.WaitGroup
		for range servers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					q, err := server.Recv(ctx)
					if errors.Is(err, sp.ErrBadState) {
						refused.Add(1)
						runtime.Gosched()
						continue
					}
					if err != nil {
						return
					}
					runtime.Gosched() // widen the window another goroutine could cross
					if err := server.Send(ctx, append([]byte("re: "), q...)); err != nil && ctx.Err() == nil {
						t.Errorf("Send: %v", err)
					}
				}
			}()
		}
		defer func() { cancel(); wg.Wait() }()

		var wrong, done atomic.Int64
		var cw sync.WaitGroup
		for c := range clients {
			q := sptest.New(t, req.NewSocket)
			sptest.Dial(t, q, addr)
			cw.Add(1)
			go func() {
				defer cw.Done()
				for i := c; i < total; i += clients {
					body := fmt.Sprintf("client %d request %d", c, i)
					b, err := req.Request(ctx, q, []byte(body))
					if err != nil {
						t.Errorf("%s: %v", body, err)
						return
					}
					if string(b) != "re: "+body {
						wrong.Add(1)
					}
					done.Add(1)
				}
			}()
		}
		cw.Wait()
		require.Equal(t, int64(total), done.Load(), "got %d exchanges done, want %d", done.Load(), total)
		require.Zero(t, wrong.Load(), "got %d replies meant for another requester, want 0", wrong.Load())
		t.Logf("%d Recv calls refused while another goroutine held a request", refused.Load())
	})
}

// Goroutines that share a bare req socket (no contexts) never get each
// other's replies: a Send while the socket's request is outstanding fails
// with sp.ErrBadState instead of replacing it.
func TestSharedReqSocket(t *testing.T) {
	const users, total = 2, 1000
	sptest.Transports(t, func(t *testing.T, tr sptest.Transport) {
		q, a := sptest.Pair(t, tr, req.NewSocket, rep.NewSocket)
		serve(a, echo("re: "))
		ctx := sptest.Ctx(t)
		var wrong, refused atomic.Int64
		var wg sync.WaitGroup
		for u := range users {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := u; i < total; {
					body := fmt.Sprintf("user %d request %d", u, i)
					err := q.Send(ctx, []byte(body))
					if errors.Is(err, sp.ErrBadState) {
						refused.Add(1)
						runtime.Gosched()
						continue
					}
					if err != nil {
						t.Errorf("Send %s: %v", body, err)
						return
					}
					b, err := q.Recv(ctx)
					if err != nil {
						t.Errorf("Recv reply to %s: %v", body, err)
						return
					}
					if string(b) != "re: "+body {
						wrong.Add(1)
					}
					i += users
				}
			}()
		}
		wg.Wait()
		require.Zero(t, wrong.Load(), "got %d replies meant for the other goroutine, want 0", wrong.Load())
		t.Logf("%d Sends refused while the other goroutine's request was out", refused.Load())
	})
}

// A request whose Recv gave up is canceled: it is not sent again, so a rep
// that never answers sees it once however long the resend time runs.
func TestCanceledRecvStopsResends(t *testing.T) {
	sptest.Transports(t, func(t *testing.T, tr sptest.Transport) {
		q, a := sptest.Pair(t, tr, req.NewSocket, rep.NewSocket)
		require.NoError(t, sp.SetOption(q, req.ResendTime, 20*time.Millisecond))
		ctx := sptest.Ctx(t)
		require.NoError(t, q.Send(ctx, []byte("anyone?")))
		short, cancel := context.WithTimeout(ctx, 70*time.Millisecond)
		defer cancel()
		_, err := q.Recv(short)
		require.ErrorIs(t, err, sp.ErrTimeout)
		resent := q.Stats().Counters["resends"]
		require.NotZero(t, resent, "got no resends while Recv waited, want some (ResendTime 20ms)")

		ac := repContext(t, a)
		for range resent + 1 { // the first copy and every resend before the cancel
			_, err := ac.Recv(ctx)
			require.NoError(t, err)
		}
		require.NoError(t, sp.SetOption(ac, sp.RecvTimeout, 200*time.Millisecond))
		b, err := ac.Recv(ctx)
		require.ErrorIs(t, err, sp.ErrTimeout, "got %q after the cancel, want no more copies", b)
		require.Equal(t, resent, q.Stats().Counters["resends"], "resends went on after Recv gave up")
	})
}

// A request that its rep refuses (over its sp.RecvMaxSize, so the rep
// closes the connection at once) is not resent in a tight loop: the
// dialer backs off, as the pipes it makes live no time at all. Recv gives
// up with an error that says the connection was lost, and after that the
// request is not sent again. Five seconds, as the report that found it.
func TestPoisonRequest(t *testing.T) {
	for _, tr := range []string{"tcp", "ipc"} {
		t.Run(tr, func(t *testing.T) {
			t.Parallel()
			a := sptest.New(t, rep.NewSocket)
			require.NoError(t, sp.SetOption(a, sp.RecvMaxSize, 1024))
			pipes := sptest.CountPipes(a, nil)
			addr := sptest.TCPAddr(t)
			if tr == "ipc" {
				addr = sptest.IPCAddr(t)
			}
			addr = sptest.Listen(t, a, addr)
			q := sptest.New(t, req.NewSocket)
			require.NoError(t, q.Dial(addr, sp.WithDialSync())) // the default backoff, as a user has it
			pipes.WaitLive(t, 1)
			ctx, cancel := context.WithTimeout(sptest.Ctx(t), 3*time.Second)
			defer cancel()
			require.NoError(t, q.Send(ctx, make([]byte, 4096)))
			_, err := q.Recv(ctx)
			require.ErrorIs(t, err, sp.ErrTimeout)
			require.Contains(t, err.Error(), "lost", "got %v, want it to say the connection was lost", err)
			atRecv, resends := pipes.Added(), q.Stats().Counters["resends"]
			time.Sleep(2 * time.Second) // the request must not be sent again
			total := pipes.Added()
			t.Logf("%d connections while Recv waited (3 s), %d in all (5 s), %d resends; Recv said: %v",
				atRecv, total, resends, err)
			require.LessOrEqual(t, total, 8, "got %d connections in 5 s, want a handful", total)
			require.Equal(t, resends, q.Stats().Counters["resends"], "resent after Recv gave up")
		})
	}
}
