package sptest

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
	"sync"
	"testing"
	"time"

	"github.com/spgo/sp"
	"github.com/stretchr/testify/require"
)

// Wire is a transport a test body runs over, with the endpoint options its
// two ends need: Wires adds tls+tcp and ws to the transports of All.
type Wire struct {
	// Name is the URL scheme: inproc, ipc, tcp, tls+tcp or ws.
	Name string
	// ListenOpts and DialOpts are the options of the listener and the
	// dialer (a TLS configuration, for tls+tcp).
	ListenOpts, DialOpts []sp.EndpointOption
	addr                 func(t testing.TB) string
}

// Wires runs body as a subtest for each transport: inproc, ipc, tcp,
// tls+tcp (with a self-signed certificate for 127.0.0.1) and ws.
func Wires(t *testing.T, body func(t *testing.T, w Wire)) {
	t.Helper()
	server, client := TLSConfigs(t)
	wires := []Wire{
		{Name: "inproc", addr: func(testing.TB) string { return InprocAddr() }},
		{Name: "ipc", addr: IPCAddr},
		{Name: "tcp", addr: func(testing.TB) string { return "tcp://127.0.0.1:0" }},
		{
			Name:       "tls+tcp",
			addr:       func(testing.TB) string { return "tls+tcp://127.0.0.1:0" },
			ListenOpts: []sp.EndpointOption{sp.With(sp.TLSConfig, server)},
			DialOpts:   []sp.EndpointOption{sp.With(sp.TLSConfig, client)},
		},
		{Name: "ws", addr: func(testing.TB) string { return "ws://127.0.0.1:0/sp" }},
	}
	for _, w := range wires {
		t.Run(w.Name, func(t *testing.T) { body(t, w) })
	}
}

// Listen makes s listen on a fresh address of the wire and returns the
// address to dial (with the port bound for port 0).
func (w Wire) Listen(t testing.TB, s sp.Socket) string {
	t.Helper()
	addr := w.addr(t)
	l, err := s.Listen(addr, w.ListenOpts...)
	require.NoError(t, err, "Listen(%s)", addr)
	ta, ok := l.Addr().(*net.TCPAddr)
	if !ok {
		return addr
	}
	switch w.Name {
	case "ws":
		return fmt.Sprintf("ws://%s/sp", ta)
	default:
		return fmt.Sprintf("%s://%s", w.Name, ta)
	}
}

// Dial makes s dial addr synchronously, with the wire's options.
func (w Wire) Dial(t testing.TB, s sp.Socket, addr string) {
	t.Helper()
	Dial(t, s, addr, w.DialOpts...)
}

// Connect makes b listen on a fresh address and a dial it, and returns
// once both ends have the pipe.
func (w Wire) Connect(t testing.TB, a, b sp.Socket) {
	t.Helper()
	w.Dial(t, a, w.Listen(t, b))
	ctx := Ctx(t)
	require.NoError(t, a.WaitPeers(ctx, 1), "the dialer's pipe")
	require.NoError(t, b.WaitPeers(ctx, 1), "the listener's pipe")
}

var testTLS struct {
	once           sync.Once
	server, client *tls.Config
	err            error
}

// TLSConfigs returns a server configuration with a self-signed certificate
// for 127.0.0.1 and localhost, and a client configuration that trusts it.
// They are made once per test binary.
func TLSConfigs(t testing.TB) (server, client *tls.Config) {
	t.Helper()
	testTLS.once.Do(func() { testTLS.server, testTLS.client, testTLS.err = makeTLS() })
	require.NoError(t, testTLS.err, "making a test certificate")
	return testTLS.server.Clone(), testTLS.client.Clone()
}

func makeTLS() (server, client *tls.Config, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "sptest"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	cert := tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12},
		&tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}, nil
}
