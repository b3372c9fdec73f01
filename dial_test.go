package sp_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/spgo/sp"
	"github.com/spgo/sp/protocol/pull"
	"github.com/spgo/sp/protocol/push"
	"github.com/stretchr/testify/require"
)

// dialTransport is a transport that resolves names, with what its dialer
// and listener need.
type dialTransport struct {
	scheme, path string
	dial, listen []sp.EndpointOption
}

func (d dialTransport) url(hostport string) string { return d.scheme + "://" + hostport + d.path }

// nameTransports returns tcp, tls+tcp, ws and wss.
func nameTransports(t *testing.T) []dialTransport {
	srv, cli := selfSigned(t)
	return []dialTransport{
		{scheme: "tcp"},
		{scheme: "tls+tcp", dial: []sp.EndpointOption{sp.With(sp.TLSConfig, cli)}, listen: []sp.EndpointOption{sp.With(sp.TLSConfig, srv)}},
		{scheme: "ws", path: "/sp"},
		{scheme: "wss", path: "/sp", dial: []sp.EndpointOption{sp.With(sp.TLSConfig, cli)}, listen: []sp.EndpointOption{sp.With(sp.TLSConfig, srv)}},
	}
}

// silentServer accepts tcp connections on loopback and never says a word,
// so that a dial to it connects but its handshake (SP, TLS or HTTP
// upgrade) stalls. It returns the address.
func silentServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
		for _, c := range conns {
			c.Close()
		}
	})
	return ln.Addr().String()
}

// requireDialErr checks that err is a dial *OpError whose cause matches
// want.
func requireDialErr(t *testing.T, err, want error) {
	t.Helper()
	require.ErrorIs(t, err, want, "got %v, want an error wrapping %v", err, want)
	var oe *sp.OpError
	require.ErrorAs(t, err, &oe, "got %T (%v), want an *sp.OpError", err, err)
	require.Equal(t, "dial", oe.Op, "got Op %q, want dial", oe.Op)
}

// TestDialContextErrors checks what a failed DialContext (or Dial with
// DialSync) returns over each transport that resolves names: a timeout
// reads as ErrTimeout, a cancellation as context.Canceled, an unknown host
// as ErrNoHost, a refusal as ErrConnRefused; and that it does not wait
// longer than its bound.
func TestDialContextErrors(t *testing.T) {
	if _, err := net.DefaultResolver.LookupHost(context.Background(), "nosuch.invalid"); err != nil {
		var dns *net.DNSError
		if errors.As(err, &dns) && dns.IsTimeout {
			t.Skipf("no resolver answers here: %v", err)
		}
	}
	for _, tr := range nameTransports(t) {
		t.Run(tr.scheme, func(t *testing.T) {
			tests := []struct {
				name   string
				dial   func(t *testing.T, s sp.Socket) error
				want   error
				within time.Duration // the call must return sooner
			}{
				{"unknown host", func(t *testing.T, s sp.Socket) error {
					return s.DialContext(t.Context(), tr.url("nosuch.invalid:5555"), tr.dial...)
				}, sp.ErrNoHost, 5 * time.Second},
				{"unknown host with DialSync", func(t *testing.T, s sp.Socket) error {
					return s.Dial(tr.url("nosuch.invalid:5555"), append(tr.dial, sp.WithDialSync())...)
				}, sp.ErrNoHost, 5 * time.Second},
				{"refused", func(t *testing.T, s sp.Socket) error {
					return s.DialContext(t.Context(), tr.url(fmt.Sprintf("127.0.0.1:%d", freePort(t))), tr.dial...)
				}, sp.ErrConnRefused, 5 * time.Second},
				{"handshake stalls past ctx's deadline", func(t *testing.T, s sp.Socket) error {
					ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
					defer cancel()
					return s.DialContext(ctx, tr.url(silentServer(t)), tr.dial...)
				}, sp.ErrTimeout, 5 * time.Second},
				{"handshake stalls, ctx canceled", func(t *testing.T, s sp.Socket) error {
					ctx, cancel := context.WithCancel(t.Context())
					tm := time.AfterFunc(200*time.Millisecond, cancel)
					defer tm.Stop()
					return s.DialContext(ctx, tr.url(silentServer(t)), tr.dial...)
				}, context.Canceled, 5 * time.Second},
				{"handshake stalls past HandshakeTimeout with DialSync", func(t *testing.T, s sp.Socket) error {
					return s.Dial(tr.url(silentServer(t)),
						append(tr.dial, sp.WithDialSync(), sp.With(sp.HandshakeTimeout, 200*time.Millisecond))...)
				}, sp.ErrTimeout, 5 * time.Second},
				{"ctx already past its deadline", func(t *testing.T, s sp.Socket) error {
					ctx, cancel := context.WithDeadline(t.Context(), time.Now().Add(-time.Second))
					defer cancel()
					return s.DialContext(ctx, tr.url(silentServer(t)), tr.dial...)
				}, sp.ErrTimeout, 5 * time.Second},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					s := mustSocket(t, push.NewSocket)
					start := time.Now()
					err := tt.dial(t, s)
					took := time.Since(start)
					requireDialErr(t, err, tt.want)
					require.Less(t, took, tt.within, "took %v, want less than %v", took, tt.within)
					if tt.want == sp.ErrTimeout {
						var te interface{ Timeout() bool }
						require.True(t, errors.As(err, &te) && te.Timeout(), "got Timeout() false for %v, want true", err)
					}
					if tt.want == context.Canceled {
						require.NotErrorIs(t, err, sp.ErrTimeout, "got %v, want a cancellation, not a timeout", err)
					}
					require.Zero(t, s.Stats().Pipes, "got %d pipes after a failed dial, want 0", s.Stats().Pipes)
					require.Empty(t, s.Stats().Endpoints, "got %d endpoints after a failed dial, want the dialer stopped", len(s.Stats().Endpoints))
				})
			}
		})
	}
}

// freePort returns a loopback tcp port nobody listens on.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := ln.Addr().(*net.TCPAddr).Port
	require.NoError(t, ln.Close())
	return port
}

// TestDialContextConnects checks that a successful DialContext returns with
// the pipe up, and that its dialer then reconnects in the background after
// the pipe is lost, after ctx has ended.
func TestDialContextConnects(t *testing.T) {
	for _, tr := range nameTransports(t) {
		t.Run(tr.scheme, func(t *testing.T) {
			rx := mustSocket(t, pull.NewSocket)
			l, err := rx.Listen(tr.url("127.0.0.1:0"), tr.listen...)
			require.NoError(t, err)
			tx := mustSocket(t, push.NewSocket)
			ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
			err = tx.DialContext(ctx, l.URL(), append(tr.dial, sp.With(sp.ReconnectMin, 10*time.Millisecond))...)
			cancel()
			require.NoError(t, err, "DialContext(%s): got %v, want nil", l.URL(), err)
			require.Equal(t, 1, tx.Stats().Pipes, "got %d pipes when DialContext returned, want 1", tx.Stats().Pipes)

			// Lose the pipe: the dialer, whose ctx has ended, reconnects.
			require.NoError(t, l.Close())
			_, err = rx.Listen(l.URL(), tr.listen...)
			require.NoError(t, err)
			eventually(t, "the dialer reconnects", func() bool { return tx.Stats().Connects >= 2 && tx.Stats().Pipes == 1 })
			send, cancel2 := context.WithTimeout(t.Context(), 5*time.Second)
			defer cancel2()
			require.NoError(t, tx.Send(send, []byte("hi")))
			got, err := rx.Recv(send)
			require.NoError(t, err)
			require.Equal(t, "hi", string(got), "got %q, want hi", got)
		})
	}
}

// TestDialerDialContext checks Dialer.DialContext: an unstarted dialer's
// first attempt, and a second start refused.
func TestDialerDialContext(t *testing.T) {
	rx := mustSocket(t, pull.NewSocket)
	l, err := rx.Listen("tcp://127.0.0.1:0")
	require.NoError(t, err)
	tx := mustSocket(t, push.NewSocket)
	d, err := tx.NewDialer(l.URL())
	require.NoError(t, err)
	require.NoError(t, d.DialContext(t.Context()))
	require.Equal(t, 1, tx.Stats().Pipes, "got %d pipes, want 1", tx.Stats().Pipes)
	err = d.DialContext(t.Context())
	require.ErrorIs(t, err, sp.ErrBadState, "second DialContext: got %v, want ErrBadState", err)
	require.NoError(t, d.Close())
}

// TestNewDialerBadURLIsNil checks that NewDialer's failure returns a nil
// Dialer, not a nil pointer in a non-nil interface.
func TestNewDialerBadURLIsNil(t *testing.T) {
	s := mustSocket(t, push.NewSocket)
	d, err := s.NewDialer("tcp://no-port")
	require.ErrorIs(t, err, sp.ErrBadURL, "got %v, want ErrBadURL", err)
	require.True(t, d == nil, "got Dialer %#v, want nil", d)
}
