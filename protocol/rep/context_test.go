package rep_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/sptest"
	"github.com/spgo/sp/protocol/rep"
	"github.com/spgo/sp/protocol/req"
	"github.com/stretchr/testify/require"
)

// TestThousandContexts serves a thousand concurrent requesters (req
// contexts spread over ten req sockets) with a thousand rep contexts on one
// socket, each in its own goroutine, and checks every requester gets the
// answer to its own request. Every rep context holds its request until all
// thousand have one, so the requests are truly served at once.
func TestThousandContexts(t *testing.T) {
	const n, sockets = 1000, 10
	sptest.Transports(t, func(t *testing.T, tr sptest.Transport) {
		ctx := sptest.Ctx(t)
		url := tr.Addr(t)
		server, err := rep.NewSocket()
		require.NoError(t, err)
		defer server.Close()
		require.NoError(t, sp.SetOption(server, sp.RecvQueueLen, n))
		_, err = server.Listen(url)
		require.NoError(t, err)

		var held sync.WaitGroup
		held.Add(n)
		allHeld := make(chan struct{})
		go func() { held.Wait(); close(allHeld) }()
		var serving sync.WaitGroup
		for i := 0; i < n; i++ {
			c, err := server.OpenContext()
			require.NoError(t, err)
			serving.Add(1)
			go func() {
				defer serving.Done()
				defer c.Close()
				q, err := c.Recv(ctx)
				held.Done()
				if err != nil {
					t.Errorf("rep context Recv: %v", err)
					return
				}
				select {
				case <-allHeld:
				case <-ctx.Done():
					t.Errorf("rep context: only some of %d requests arrived", n)
					return
				}
				if err := c.Send(ctx, append([]byte("re:"), q...)); err != nil {
					t.Errorf("rep context Send: %v", err)
				}
			}()
		}

		var asking sync.WaitGroup
		for k := 0; k < sockets; k++ {
			client, err := req.NewSocket()
			require.NoError(t, err)
			defer client.Close()
			require.NoError(t, client.Dial(url, sp.WithDialSync()))
			for j := 0; j < n/sockets; j++ {
				c, err := client.OpenContext()
				require.NoError(t, err)
				q := fmt.Sprintf("socket %d context %d", k, j)
				asking.Add(1)
				go func() {
					defer asking.Done()
					defer c.Close()
					if err := c.Send(ctx, []byte(q)); err != nil {
						t.Errorf("req context Send: %v", err)
						return
					}
					a, err := c.Recv(ctx)
					if err != nil {
						t.Errorf("req context %q Recv: %v", q, err)
						return
					}
					if string(a) != "re:"+q {
						t.Errorf("got reply %q, want %q", a, "re:"+q)
					}
				}()
			}
		}
		asking.Wait()
		serving.Wait()
	})
}

// TestContextStateIsItsOwn checks that a rep context answers only the
// request it received: Send on a context that has received nothing fails
// even while another context holds a request.
func TestContextStateIsItsOwn(t *testing.T) {
	url := sptest.InprocAddr()
	server, err := rep.NewSocket()
	require.NoError(t, err)
	defer server.Close()
	_, err = server.Listen(url)
	require.NoError(t, err)
	client, err := req.NewSocket()
	require.NoError(t, err)
	defer client.Close()
	require.NoError(t, client.Dial(url, sp.WithDialSync()))

	ctx := context.Background()
	a, err := server.OpenContext()
	require.NoError(t, err)
	b, err := server.OpenContext()
	require.NoError(t, err)
	require.NoError(t, client.Send(ctx, []byte("q")))
	_, err = a.Recv(ctx)
	require.NoError(t, err)
	require.ErrorIs(t, b.Send(ctx, []byte("not mine")), sp.ErrBadState)
	require.ErrorIs(t, server.Send(ctx, []byte("not mine either")), sp.ErrBadState)
	require.NoError(t, a.Send(ctx, []byte("mine")))
	got, err := client.Recv(ctx)
	require.NoError(t, err)
	require.Equal(t, "mine", string(got))
	require.NoError(t, a.Close())
	require.NoError(t, b.Close())
}
