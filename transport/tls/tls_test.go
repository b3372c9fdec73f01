package tls_test

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	gotls "crypto/tls"

	"github.com/stretchr/testify/require"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/leaktest"
	"github.com/spgo/sp/internal/sptest"
	"github.com/spgo/sp/protocol/pub"
	"github.com/spgo/sp/protocol/rep"
	"github.com/spgo/sp/protocol/req"
	"github.com/spgo/sp/protocol/sub"
	tls "github.com/spgo/sp/transport/tls"
)

func TestMain(m *testing.M) { leaktest.VerifyTestMain(m) }

// listen makes s listen on addr (default tls+tcp://127.0.0.1:0) with
// config and returns the port it bound.
func listen(t *testing.T, s sp.Socket, addr string, config *gotls.Config, opts ...sp.EndpointOption) int {
	t.Helper()
	if addr == "" {
		addr = "tls+tcp://127.0.0.1:0"
	}
	opts = append([]sp.EndpointOption{sp.With(sp.TLSConfig, config)}, opts...)
	l, err := s.NewListener(addr, opts...)
	require.NoError(t, err)
	require.NoError(t, l.Listen())
	return l.Addr().(*net.TCPAddr).Port
}

// dial makes s dial url synchronously with config.
func dial(s sp.Socket, url string, config *gotls.Config) error {
	return s.Dial(url, sp.WithDialSync(), sp.With(sp.TLSConfig, config),
		sp.With(sp.ReconnectMin, 10*time.Millisecond), sp.With(sp.ReconnectMax, 100*time.Millisecond))
}

func url(port int) string { return fmt.Sprintf("tls+tcp://127.0.0.1:%d", port) }

// roundTrip sends a request from c and answers it from s.
func roundTrip(t *testing.T, c, s sp.Socket, body string) {
	t.Helper()
	ctx := sptest.Ctx(t)
	require.NoError(t, c.Send(ctx, []byte(body)))
	got, err := s.Recv(ctx)
	require.NoError(t, err)
	require.Equal(t, body, string(got))
	require.NoError(t, s.Send(ctx, append(got, '!')))
	got, err = c.Recv(ctx)
	require.NoError(t, err)
	require.Equal(t, body+"!", string(got))
}

func TestReqRep(t *testing.T) {
	p := getPKI(t)
	for _, host := range []string{"127.0.0.1", "localhost"} {
		t.Run(host, func(t *testing.T) {
			s, c := sptest.New(t, rep.NewSocket), sptest.New(t, req.NewSocket)
			port := listen(t, s, "tls+tcp://*:0", p.serverConfig(false))
			require.NoError(t, dial(c, fmt.Sprintf("tls+tcp://%s:%d", host, port), p.clientConfig()))
			roundTrip(t, c, s, "hello over "+host)
			big := string(sptest.Payload(200<<10, 7))
			require.NoError(t, sp.SetOption(s, sp.RecvMaxSize, 1<<20))
			roundTrip(t, c, s, big)
		})
	}
}

func TestIPv6(t *testing.T) {
	l, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	}
	l.Close()
	p := getPKI(t)
	s, c := sptest.New(t, rep.NewSocket), sptest.New(t, req.NewSocket)
	port := listen(t, s, "tls+tcp://[::1]:0", p.serverConfig(false))
	require.NoError(t, dial(c, fmt.Sprintf("tls+tcp://[::1]:%d", port), p.clientConfig()))
	roundTrip(t, c, s, "v6")
}

func TestPubSub(t *testing.T) {
	p := getPKI(t)
	ps := sptest.New(t, pub.NewSocket)
	port := listen(t, ps, "", p.serverConfig(false))
	subs := make([]sp.Socket, 3)
	for i := range subs {
		subs[i] = sptest.New(t, sub.NewSocket)
		require.NoError(t, sp.SetOption(subs[i], sub.SubscribeOption, []byte("news")))
		require.NoError(t, dial(subs[i], url(port), p.clientConfig()))
	}
	ctx := sptest.Ctx(t)
	// A subscriber's pipe may join the publisher a moment after its dial
	// returns: publish until every subscriber has heard.
	for i, s := range subs {
		sptest.Eventually(t, fmt.Sprintf("subscriber %d hears", i), func() bool {
			require.NoError(t, ps.Send(ctx, []byte("weather")))
			require.NoError(t, ps.Send(ctx, []byte("news: hi")))
			rctx, cancel := sptestShort(ctx)
			defer cancel()
			b, err := s.Recv(rctx)
			if err != nil {
				return false
			}
			require.Equal(t, "news: hi", string(b))
			return true
		})
	}
}

func TestMutualAuth(t *testing.T) {
	p := getPKI(t)
	s := sptest.New(t, rep.NewSocket)
	log := sptest.NewLog()
	require.NoError(t, sp.SetOption(s, sp.Logger, slog.New(log)))
	port := listen(t, s, "", p.serverConfig(true))

	good := sptest.New(t, req.NewSocket)
	require.NoError(t, dial(good, url(port), p.clientConfig(p.client)))
	roundTrip(t, good, s, "first")

	rejected := 0
	for name, cfg := range map[string]*gotls.Config{
		"no client cert":          p.clientConfig(),
		"client cert of other CA": p.clientConfig(p.otherClient),
		"server cert as client's": p.clientConfig(p.server),
	} {
		t.Run(name, func(t *testing.T) {
			c := sptest.New(t, req.NewSocket)
			err := dial(c, url(port), cfg)
			require.Error(t, err)
			t.Logf("dial: %v", err)
			rejected++
			log.Wait(t, "peer rejected", rejected)
		})
	}

	// The good peer is still served, and a new good peer gets in.
	roundTrip(t, good, s, "second")
	again := sptest.New(t, req.NewSocket)
	require.NoError(t, dial(again, url(port), p.clientConfig(p.client)))
	roundTrip(t, again, s, "third")
}

func TestServerVerification(t *testing.T) {
	p := getPKI(t)
	cases := []struct {
		name   string
		server *gotls.Config
		client *gotls.Config
		check  func(t *testing.T, err error)
	}{
		{"unknown CA", &gotls.Config{Certificates: []gotls.Certificate{p.otherServer}}, p.clientConfig(),
			func(t *testing.T, err error) {
				var ua x509.UnknownAuthorityError
				require.ErrorAs(t, err, &ua)
			}},
		{"wrong server name", p.serverConfig(false), &gotls.Config{RootCAs: p.ca.pool, ServerName: "elsewhere.example"},
			func(t *testing.T, err error) {
				var he x509.HostnameError
				require.ErrorAs(t, err, &he)
			}},
		{"system roots", p.serverConfig(false), nil,
			func(t *testing.T, err error) {
				var ve *gotls.CertificateVerificationError
				require.ErrorAs(t, err, &ve)
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, c := sptest.New(t, rep.NewSocket), sptest.New(t, req.NewSocket)
			port := listen(t, s, "", tc.server)
			err := dial(c, url(port), tc.client)
			require.Error(t, err)
			t.Logf("dial: %v", err)
			tc.check(t, err)
		})
	}
	t.Run("insecure", func(t *testing.T) {
		s, c := sptest.New(t, rep.NewSocket), sptest.New(t, req.NewSocket)
		port := listen(t, s, "", &gotls.Config{Certificates: []gotls.Certificate{p.otherServer}})
		require.NoError(t, dial(c, url(port), &gotls.Config{InsecureSkipVerify: true}))
		roundTrip(t, c, s, "unverified")
	})
}

func TestPeerCertificates(t *testing.T) {
	p := getPKI(t)
	s, c := sptest.New(t, rep.NewSocket), sptest.New(t, req.NewSocket)
	port := listen(t, s, "", p.serverConfig(true))
	require.NoError(t, dial(c, url(port), p.clientConfig(p.client)))
	ctx := sptest.Ctx(t)

	require.NoError(t, c.Send(ctx, []byte("who am I")))
	m, err := s.RecvMsg(ctx)
	require.NoError(t, err)
	certs, err := sp.GetOption(m.Pipe(), tls.PeerCertificates)
	require.NoError(t, err)
	require.NotEmpty(t, certs)
	require.Equal(t, "client", certs[0].Subject.CommonName)
	chains, err := sp.GetOption(m.Pipe(), tls.VerifiedChains)
	require.NoError(t, err)
	require.Len(t, chains, 1)
	require.Equal(t, "sp test CA", chains[0][len(chains[0])-1].Subject.CommonName)
	st, err := sp.GetOption(m.Pipe(), tls.ConnectionState)
	require.NoError(t, err)
	require.True(t, st.HandshakeComplete)
	require.GreaterOrEqual(t, st.Version, uint16(gotls.VersionTLS12))
	_, err = sp.GetOption(m.Pipe(), sp.NewOption[int]("no-such-property"))
	require.ErrorIs(t, err, sp.ErrBadOption)
	m.Body = append(m.Body[:0], "you are client"...)
	require.NoError(t, s.SendMsg(ctx, m))

	r, err := c.RecvMsg(ctx)
	require.NoError(t, err)
	certs, err = sp.GetOption(r.Pipe(), tls.PeerCertificates)
	require.NoError(t, err)
	require.Equal(t, "server", certs[0].Subject.CommonName)
	st, err = sp.GetOption(r.Pipe(), tls.ConnectionState)
	require.NoError(t, err)
	require.NotEmpty(t, st.VerifiedChains, "the client verified the server")
	r.Free()

	// On a socket the properties are known, empty and read-only.
	certs, err = sp.GetOption(s, tls.PeerCertificates)
	require.NoError(t, err)
	require.Empty(t, certs)
	require.ErrorIs(t, sp.SetOption(s, tls.PeerCertificates, nil), sp.ErrBadOption)
}

func TestHandshakeTimeout(t *testing.T) {
	p := getPKI(t)
	s := sptest.New(t, rep.NewSocket)
	port := listen(t, s, "", p.serverConfig(false), sp.With(sp.HandshakeTimeout, 200*time.Millisecond))

	// A client that connects and says nothing is dropped.
	raw, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	require.NoError(t, err)
	defer raw.Close()
	start := time.Now()
	require.NoError(t, raw.SetReadDeadline(time.Now().Add(sptest.Timeout)))
	_, err = io.ReadAll(raw)
	require.NoError(t, err, "the server should close the connection, not leave it open")
	took := time.Since(start)
	require.Greater(t, took, 100*time.Millisecond)
	require.Less(t, took, 3*time.Second)

	// A client that completes TLS but not the SP handshake is dropped too.
	tc, err := gotls.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port), p.clientConfig())
	require.NoError(t, err)
	defer tc.Close()
	require.NoError(t, tc.SetReadDeadline(time.Now().Add(sptest.Timeout)))
	b, _ := io.ReadAll(tc) // the server's SP header, then the end
	require.Len(t, b, 8)

	// The socket still serves good peers.
	c := sptest.New(t, req.NewSocket)
	require.NoError(t, dial(c, url(port), p.clientConfig()))
	roundTrip(t, c, s, "still here")
}

func TestCloseAbortsHandshake(t *testing.T) {
	p := getPKI(t)
	s, err := rep.NewSocket()
	require.NoError(t, err)
	log := sptest.NewLog()
	require.NoError(t, sp.SetOption(s, sp.Logger, slog.New(log)))
	port := listen(t, s, "", p.serverConfig(false), sp.With(sp.HandshakeTimeout, time.Minute))
	raw, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	require.NoError(t, err)
	defer raw.Close()
	time.Sleep(50 * time.Millisecond) // let the server start its handshake

	start := time.Now()
	require.NoError(t, s.Close())
	require.Less(t, time.Since(start), 3*time.Second)
	require.NoError(t, raw.SetReadDeadline(time.Now().Add(sptest.Timeout)))
	_, err = io.ReadAll(raw)
	require.NoError(t, err)
}

func TestTLSVersion(t *testing.T) {
	p := getPKI(t)
	s := sptest.New(t, rep.NewSocket)
	weak := p.serverConfig(false)
	weak.MinVersion = gotls.VersionTLS10
	port := listen(t, s, "", weak)

	// The listener holds out for TLS 1.2 although its config allows 1.0.
	_, err := gotls.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port), &gotls.Config{
		RootCAs: p.ca.pool, MinVersion: gotls.VersionTLS10, MaxVersion: gotls.VersionTLS11})
	require.Error(t, err)
	t.Logf("TLS 1.1 client: %v", err)
	require.Equal(t, uint16(gotls.VersionTLS10), weak.MinVersion, "the user's config must not change")

	// A dialer capped below 1.2 fails at once.
	c := sptest.New(t, req.NewSocket)
	old := p.clientConfig()
	old.MaxVersion = gotls.VersionTLS11
	err = dial(c, url(port), old)
	require.ErrorIs(t, err, sp.ErrBadOption)

	// TLS 1.2 exactly is fine.
	tls12 := p.clientConfig()
	tls12.MaxVersion = gotls.VersionTLS12
	require.NoError(t, dial(c, url(port), tls12))
	roundTrip(t, c, s, "1.2")
}

func TestListenNeedsCertificate(t *testing.T) {
	s := sptest.New(t, rep.NewSocket)
	for _, cfg := range []*gotls.Config{nil, {}} {
		l, err := s.NewListener("tls+tcp://127.0.0.1:0", sp.With(sp.TLSConfig, cfg))
		require.NoError(t, err)
		err = l.Listen()
		require.ErrorIs(t, err, sp.ErrBadOption)
		require.ErrorContains(t, err, "certificate")
		t.Logf("%v", err)
	}
	// Setting the option on the listener before Listen is enough.
	l, err := s.NewListener("tls+tcp://127.0.0.1:0")
	require.NoError(t, err)
	require.NoError(t, sp.SetOption(l, sp.TLSConfig, getPKI(t).serverConfig(false)))
	require.NoError(t, l.Listen())
}

func TestBadURL(t *testing.T) {
	s := sptest.New(t, req.NewSocket)
	for _, u := range []string{
		"tls+tcp://", "tls+tcp://127.0.0.1", "tls+tcp://127.0.0.1:http",
		"tls+tcp://127.0.0.1:70000", "tls+tcp://127.0.0.1:5555/path", "tls+tcp://::1:5555",
		"tls+tcp://[::1]:5555?x=1", "tls+tcp://:5555", "tls+tcp://*:5555", "tls+tcp://127.0.0.1:0",
	} {
		_, err := s.NewDialer(u)
		require.ErrorIs(t, err, sp.ErrBadURL, "dial %s", u)
	}
	for _, u := range []string{"tls+tcp://", "tls+tcp://127.0.0.1:-1", "tls+tcp://h:1/x", "tls+tcp://[::1:0"} {
		_, err := s.NewListener(u)
		require.ErrorIs(t, err, sp.ErrBadURL, "listen %s", u)
	}
	for _, u := range []string{"tls+tcp://:0", "tls+tcp://*:0", "tls+tcp://[::]:0", "tls+tcp://localhost:0"} {
		_, err := s.NewListener(u)
		require.NoError(t, err, "listen %s", u)
	}
}

func TestDialRefused(t *testing.T) {
	port := sptest.FreeTCPPort(t)
	c := sptest.New(t, req.NewSocket)
	err := dial(c, url(port), getPKI(t).clientConfig())
	require.ErrorIs(t, err, sp.ErrConnRefused)
	require.False(t, errors.Is(err, sp.ErrBadURL))
}

// sptestShort returns a context that ends after 100 ms, for polling.
func sptestShort(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, 100*time.Millisecond)
}
