package req_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

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
		sptest.Answer(t, a, echo("re: "))
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
