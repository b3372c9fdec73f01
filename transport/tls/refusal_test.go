package tls_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	gotls "crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"log/slog"
	"math/big"
	"net"
	"testing"
	"time"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/sptest"
	"github.com/spgo/sp/protocol/rep"
	"github.com/spgo/sp/protocol/req"
	"github.com/stretchr/testify/require"
)

// expired returns a certificate signed by c that expired an hour ago.
func (c *ca) expired(t testing.TB, name string, server bool) gotls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial.Add(1)),
		Subject:      pkix.Name{CommonName: name},
		NotBefore:    time.Now().Add(-48 * time.Hour),
		NotAfter:     time.Now().Add(-time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	if server {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		tmpl.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1)}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, c.cert, &key.PublicKey, c.key)
	require.NoError(t, err)
	return gotls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// TestExpiredCertificates: a client refuses a server whose certificate has
// expired, and a server requiring client certificates refuses an expired
// one, serving a good client throughout.
func TestExpiredCertificates(t *testing.T) {
	p := getPKI(t)
	t.Run("server", func(t *testing.T) {
		s, c := sptest.New(t, rep.NewSocket), sptest.New(t, req.NewSocket)
		port := listen(t, s, "", &gotls.Config{Certificates: []gotls.Certificate{p.ca.expired(t, "old server", true)}})
		err := dial(c, url(port), p.clientConfig())
		var inv x509.CertificateInvalidError
		require.ErrorAs(t, err, &inv, "got %v, want an invalid-certificate error", err)
		require.Equal(t, x509.Expired, inv.Reason, "got reason %v, want Expired", inv.Reason)
	})
	t.Run("client", func(t *testing.T) {
		s := sptest.New(t, rep.NewSocket)
		log := sptest.NewLog()
		require.NoError(t, sp.SetOption(s, sp.Logger, slog.New(log)))
		port := listen(t, s, "", p.serverConfig(true))
		good := sptest.New(t, req.NewSocket)
		require.NoError(t, dial(good, url(port), p.clientConfig(p.client)))
		roundTrip(t, good, s, "before")

		old := sptest.New(t, req.NewSocket)
		require.Error(t, dial(old, url(port), p.clientConfig(p.ca.expired(t, "old client", false))))
		log.Wait(t, "peer rejected", 1)
		require.Equal(t, uint64(1), s.Stats().HandshakeFailures, "handshake failures")
		roundTrip(t, good, s, "after")
	})
}

// TestPlainClientRefused: an SP peer speaking plain tcp to a tls+tcp
// listener is refused at once, with a clear error on both sides, and the
// listener serves a good client throughout.
func TestPlainClientRefused(t *testing.T) {
	p := getPKI(t)
	s := sptest.New(t, rep.NewSocket)
	log := sptest.NewLog()
	require.NoError(t, sp.SetOption(s, sp.Logger, slog.New(log)))
	port := listen(t, s, "", p.serverConfig(false))
	good := sptest.New(t, req.NewSocket)
	require.NoError(t, dial(good, url(port), p.clientConfig()))

	plain := sptest.New(t, req.NewSocket)
	start := time.Now()
	err := plain.Dial(fmt.Sprintf("tcp://127.0.0.1:%d", port), sp.WithDialSync())
	require.Error(t, err, "a plain tcp SP client got through to a TLS listener")
	t.Logf("plain client: %v", err)
	require.Less(t, time.Since(start), 5*time.Second, "refusal took %v, want it at once", time.Since(start))
	log.Wait(t, "peer rejected", 1)
	roundTrip(t, good, s, "still served")
}
