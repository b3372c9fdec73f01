package ws_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/leaktest"
)

func TestMain(m *testing.M) { leaktest.VerifyTestMain(m) }

// timeout bounds every wait of the tests.
const timeout = 10 * time.Second

func ctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), timeout)
	t.Cleanup(cancel)
	return c
}

// newSocket makes a socket with bounded timeouts, closed when the test ends.
func newSocket(t testing.TB, ctor func() (sp.Socket, error)) sp.Socket {
	t.Helper()
	s, err := ctor()
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	require.NoError(t, sp.SetOption(s, sp.SendTimeout, timeout))
	require.NoError(t, sp.SetOption(s, sp.RecvTimeout, timeout))
	return s
}

// listen makes s listen on url (port 0 allowed) and returns the listener and
// the URL to dial, with the bound port.
func listen(t testing.TB, s sp.Socket, url string, opts ...sp.EndpointOption) (sp.Listener, string) {
	t.Helper()
	l, err := s.NewListener(url, opts...)
	require.NoError(t, err)
	require.NoError(t, l.Listen())
	return l, withPort(url, l.Addr())
}

// withPort replaces the port of url (scheme://host:port/path) with addr's.
func withPort(url string, addr net.Addr) string {
	ta, ok := addr.(*net.TCPAddr)
	if !ok {
		return url
	}
	scheme, rest, _ := strings.Cut(url, "://")
	hostport, path, _ := strings.Cut(rest, "/")
	host, _, _ := net.SplitHostPort(hostport)
	if host == "" || host == "*" {
		host = "127.0.0.1"
	}
	return fmt.Sprintf("%s://%s/%s", scheme, net.JoinHostPort(host, fmt.Sprint(ta.Port)), path)
}

// dial makes s dial url at once, failing the test if it cannot.
func dial(t testing.TB, s sp.Socket, url string, opts ...sp.EndpointOption) {
	t.Helper()
	opts = append([]sp.EndpointOption{sp.WithDialSync(),
		sp.With(sp.ReconnectMin, 10*time.Millisecond), sp.With(sp.ReconnectMax, 100*time.Millisecond)}, opts...)
	require.NoError(t, s.Dial(url, opts...))
}

// waitPipes sets s's pipe hook to count pipes added and returns a function
// that waits until n have been.
func waitPipes(t testing.TB, s sp.Socket) func(n int) {
	var mu sync.Mutex
	added := 0
	s.SetPipeHook(func(ev sp.PipeEvent, _ sp.Pipe) bool {
		if ev == sp.PipeAdded {
			mu.Lock()
			added++
			mu.Unlock()
		}
		return true
	})
	return func(n int) {
		t.Helper()
		require.Eventually(t, func() bool {
			mu.Lock()
			defer mu.Unlock()
			return added >= n
		}, timeout, 5*time.Millisecond, "waiting for %d pipes", n)
	}
}

var certs struct {
	once           sync.Once
	server, client *tls.Config
}

// tlsConfigs returns a server configuration with a certificate for
// 127.0.0.1 and localhost, and a client configuration that trusts it.
func tlsConfigs(t testing.TB) (server, client *tls.Config) {
	certs.once.Do(func() {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		require.NoError(t, err)
		tmpl := &x509.Certificate{
			SerialNumber:          big.NewInt(1),
			Subject:               pkix.Name{CommonName: "sp ws test"},
			NotBefore:             time.Now().Add(-time.Hour),
			NotAfter:              time.Now().Add(24 * time.Hour),
			KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
			ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
			BasicConstraintsValid: true,
			IsCA:                  true,
			IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
			DNSNames:              []string{"localhost"},
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
		require.NoError(t, err)
		leaf, err := x509.ParseCertificate(der)
		require.NoError(t, err)
		pool := x509.NewCertPool()
		pool.AddCert(leaf)
		certs.server = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}}}
		certs.client = &tls.Config{RootCAs: pool}
	})
	return certs.server, certs.client
}

// scheme is ws or wss, with the options its listener and dialer need.
type scheme struct {
	name         string
	listen, dial []sp.EndpointOption
}

func schemes(t testing.TB) []scheme {
	srv, cli := tlsConfigs(t)
	return []scheme{
		{name: "ws"},
		{name: "wss", listen: []sp.EndpointOption{sp.With(sp.TLSConfig, srv)},
			dial: []sp.EndpointOption{sp.With(sp.TLSConfig, cli)}},
	}
}
