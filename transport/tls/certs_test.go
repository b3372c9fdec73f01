package tls_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	gotls "crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// ca is a test certificate authority.
type ca struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pool *x509.CertPool
}

var serial atomic.Int64

func newCA(t testing.TB, name string) *ca {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(serial.Add(1)),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &ca{cert: cert, key: key, pool: pool}
}

// issue returns a certificate signed by the CA for name: a server
// certificate for 127.0.0.1, ::1 and localhost, or a client certificate.
func (c *ca) issue(t testing.TB, name string, server bool) gotls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial.Add(1)),
		Subject:      pkix.Name{CommonName: name},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	if server {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		tmpl.DNSNames = []string{"localhost"}
		tmpl.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, c.cert, &key.PublicKey, c.key)
	require.NoError(t, err)
	leaf, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	return gotls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
}

// pki is what the tests share: a CA with a server and a client
// certificate, and another CA with a client certificate of its own.
type pki struct {
	ca, other      *ca
	server, client gotls.Certificate
	otherClient    gotls.Certificate
	otherServer    gotls.Certificate
}

var testPKI struct {
	sync.Mutex
	p *pki
}

func getPKI(t testing.TB) *pki {
	t.Helper()
	testPKI.Lock()
	defer testPKI.Unlock()
	if testPKI.p == nil {
		p := &pki{ca: newCA(t, "sp test CA"), other: newCA(t, "other CA")}
		p.server = p.ca.issue(t, "server", true)
		p.client = p.ca.issue(t, "client", false)
		p.otherClient = p.other.issue(t, "intruder", false)
		p.otherServer = p.other.issue(t, "impostor", true)
		testPKI.p = p
	}
	return testPKI.p
}

// serverConfig presents the server certificate; with mutual, it requires
// a client certificate signed by the CA.
func (p *pki) serverConfig(mutual bool) *gotls.Config {
	c := &gotls.Config{Certificates: []gotls.Certificate{p.server}}
	if mutual {
		c.ClientAuth = gotls.RequireAndVerifyClientCert
		c.ClientCAs = p.ca.pool
	}
	return c
}

// clientConfig trusts the CA and presents cert, if any.
func (p *pki) clientConfig(certs ...gotls.Certificate) *gotls.Config {
	return &gotls.Config{RootCAs: p.ca.pool, Certificates: certs}
}
