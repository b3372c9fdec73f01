package sp_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"net"
	"testing"
	"time"

	"github.com/spgo/sp"
	"github.com/spgo/sp/protocol/pull"
	"github.com/spgo/sp/protocol/push"
	"github.com/stretchr/testify/require"
)

// selfSigned returns a server configuration with a certificate for
// 127.0.0.1 and localhost, and a client configuration that trusts it.
func selfSigned(t *testing.T) (srv, cli *tls.Config) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "localhost"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	leaf, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	cert := tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
	return &tls.Config{Certificates: []tls.Certificate{cert}}, &tls.Config{RootCAs: pool}
}

// TestListenerURLShowsBoundPort checks that a listener on port 0 reports
// the port it bound in its URL and in the socket's Stats, path kept, and
// that a dialer reaches it there.
func TestListenerURLShowsBoundPort(t *testing.T) {
	srv, cli := selfSigned(t)
	tests := []struct {
		name   string
		url    string // with port 0
		want   string // format with the bound port
		listen []sp.EndpointOption
		dial   []sp.EndpointOption
	}{
		{"tcp", "tcp://127.0.0.1:0", "tcp://127.0.0.1:%d", nil, nil},
		{"tcp any host", "tcp://:0", "tcp://:%d", nil, nil},
		{"tcp star", "tcp://*:0", "tcp://*:%d", nil, nil},
		{"tls+tcp", "tls+tcp://127.0.0.1:0", "tls+tcp://127.0.0.1:%d",
			[]sp.EndpointOption{sp.With(sp.TLSConfig, srv)}, []sp.EndpointOption{sp.With(sp.TLSConfig, cli)}},
		{"ws with path", "ws://127.0.0.1:0/some/path", "ws://127.0.0.1:%d/some/path", nil, nil},
		{"wss with path", "wss://127.0.0.1:0/p", "wss://127.0.0.1:%d/p",
			[]sp.EndpointOption{sp.With(sp.TLSConfig, srv)}, []sp.EndpointOption{sp.With(sp.TLSConfig, cli)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rx := mustSocket(t, pull.NewSocket)
			l, err := rx.Listen(tt.url, tt.listen...)
			require.NoError(t, err)
			port := l.Addr().(*net.TCPAddr).Port
			require.NotZero(t, port, "got port 0 from Addr, want the bound port")
			want := fmt.Sprintf(tt.want, port)
			require.Equal(t, want, l.URL(), "Listener.URL: got %s, want %s", l.URL(), want)
			st := rx.Stats()
			require.Len(t, st.Endpoints, 1, "got %d endpoints in Stats, want 1", len(st.Endpoints))
			require.Equal(t, want, st.Endpoints[0].URL, "Stats URL: got %s, want %s", st.Endpoints[0].URL, want)

			tx := mustSocket(t, push.NewSocket)
			dialURL := fmt.Sprintf(tt.want, port)
			if tt.name == "tcp any host" || tt.name == "tcp star" {
				dialURL = fmt.Sprintf("tcp://127.0.0.1:%d", port)
			}
			require.NoError(t, tx.Dial(dialURL, append(tt.dial, sp.WithDialSync())...), "dial %s", dialURL)
		})
	}
}

// TestListenerURLKeepsGivenPort checks that a listener on a fixed port, or
// over a transport without ports, keeps its URL as given.
func TestListenerURLKeepsGivenPort(t *testing.T) {
	tcp := tcpURL(t)
	for _, url := range []string{tcp, "inproc://url-kept:0", "ipc://" + t.TempDir() + "/s:0"} {
		t.Run(url, func(t *testing.T) {
			rx := mustSocket(t, pull.NewSocket)
			l, err := rx.Listen(url)
			require.NoError(t, err)
			require.Equal(t, url, l.URL(), "got %s, want %s", l.URL(), url)
		})
	}
}
