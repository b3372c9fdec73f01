package sp_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/interop"
	"github.com/spgo/sp/protocol/pub"
	"github.com/spgo/sp/protocol/rep"
	"github.com/spgo/sp/protocol/req"
	"github.com/stretchr/testify/require"
)

func mustSocket(t *testing.T, f func() (sp.Socket, error)) sp.Socket {
	t.Helper()
	s, err := f()
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	return s
}

func TestDeviceChecks(t *testing.T) {
	cases := []struct {
		name string
		a, b func() (sp.Socket, error)
		want error
	}{
		{"cooked", rep.NewSocket, req.NewRawSocket, sp.ErrBadState},
		{"not peers", rep.NewRawSocket, pub.NewRawSocket, sp.ErrBadProtocol},
		{"same side", rep.NewRawSocket, rep.NewRawSocket, sp.ErrBadProtocol},
		{"req cannot reflect", req.NewRawSocket, nil, sp.ErrBadProtocol},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := mustSocket(t, c.a)
			var b sp.Socket
			if c.b != nil {
				b = mustSocket(t, c.b)
			}
			err := sp.Device(context.Background(), a, b)
			require.ErrorIs(t, err, c.want)
		})
	}
}

// device starts a device between a raw rep listening on front and a raw req
// dialing back, and returns a function that stops it and returns Device's
// result.
func device(t *testing.T, front, back string, ttl int) (stop func() error) {
	t.Helper()
	f := mustSocket(t, rep.NewRawSocket)
	b := mustSocket(t, req.NewRawSocket)
	for _, s := range []sp.Socket{f, b} {
		require.NoError(t, sp.SetOption(s, sp.MaxTTL, ttl))
	}
	_, err := f.Listen(front)
	require.NoError(t, err)
	require.NoError(t, b.Dial(back))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sp.Device(ctx, f, b) }()
	return func() error { cancel(); return <-done }
}

func server(t *testing.T, url string, ttl int) {
	t.Helper()
	s := mustSocket(t, rep.NewSocket)
	require.NoError(t, sp.SetOption(s, sp.MaxTTL, ttl))
	_, err := s.Listen(url)
	require.NoError(t, err)
	go func() {
		for {
			q, err := s.Recv(context.Background())
			if err != nil {
				return
			}
			s.Send(context.Background(), append([]byte("re:"), q...))
		}
	}()
}

func TestDeviceCarriesRequests(t *testing.T) {
	for _, tr := range []string{"inproc", "tcp"} {
		t.Run(tr, func(t *testing.T) {
			url := func(i int) string {
				if tr == "tcp" {
					return fmt.Sprintf("tcp://127.0.0.1:%d", interop.FreeTCPPort(t))
				}
				return fmt.Sprintf("inproc://%s-%d", t.Name(), i)
			}
			front, back := url(0), url(1)
			server(t, back, 8)
			stop := device(t, front, back, 8)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			var wg sync.WaitGroup
			for c := 0; c < 5; c++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					s := mustSocket(t, req.NewSocket)
					if err := s.Dial(front, sp.WithDialSync()); err != nil {
						t.Error(err)
						return
					}
					for i := 0; i < 50; i++ {
						q := fmt.Sprintf("%d-%d", c, i)
						if err := s.Send(ctx, []byte(q)); err != nil {
							t.Error(err)
							return
						}
						a, err := s.Recv(ctx)
						if err != nil {
							t.Error(err)
							return
						}
						if string(a) != "re:"+q {
							t.Errorf("got reply %q, want %q", a, "re:"+q)
						}
					}
				}()
			}
			wg.Wait()
			require.ErrorIs(t, stop(), context.Canceled)
		})
	}
}

// TestDeviceChainTTL checks that MaxTTL stops a message that crosses too
// many devices: with MaxTTL 3, a request crosses 2 devices and is answered,
// but one that would cross 3 is dropped. It runs in a synctest bubble, on
// fake time: the answer comes at once, and a Recv for the dropped one
// times out at exactly its RecvTimeout.
func TestDeviceChainTTL(t *testing.T) {
	const timeout = 300 * time.Millisecond
	for _, c := range []struct {
		devices int
		ok      bool
	}{{1, true}, {2, true}, {3, false}} {
		t.Run(fmt.Sprintf("%d devices", c.devices), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				url := func(i int) string { return fmt.Sprintf("inproc://%s-%d", t.Name(), i) }
				server(t, url(c.devices), 3)
				for i := c.devices - 1; i >= 0; i-- { // each dials a listener already there
					stop := device(t, url(i), url(i+1), 3)
					t.Cleanup(func() { stop() })
				}
				s := mustSocket(t, req.NewSocket)
				require.NoError(t, sp.SetOption(s, sp.RecvTimeout, timeout))
				require.NoError(t, s.Dial(url(0), sp.WithDialSync()))
				start := time.Now()
				require.NoError(t, s.Send(context.Background(), []byte("q")))
				a, err := s.Recv(context.Background())
				took := time.Since(start)
				if c.ok {
					require.NoError(t, err)
					require.Equal(t, "re:q", string(a))
					require.Zero(t, took, "the reply came after %v, want at once", took)
				} else {
					require.ErrorIs(t, err, sp.ErrTimeout, "got reply %q through %d devices, want it dropped", a, c.devices)
					require.Equal(t, timeout, took, "Recv timed out after %v, want %v", took, timeout)
				}
			})
		})
	}
}

func TestDeviceEndsWhenASocketCloses(t *testing.T) {
	f := mustSocket(t, rep.NewRawSocket)
	b := mustSocket(t, req.NewRawSocket)
	done := make(chan error, 1)
	go func() { done <- sp.Device(context.Background(), f, b) }()
	require.NoError(t, b.Close())
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("Device still running 5 s after a socket closed")
	}
}
