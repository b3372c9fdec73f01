package interop_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	gotls "crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/interop"
	"github.com/spgo/sp/internal/sptest"
	"github.com/spgo/sp/protocol/pub"
	"github.com/spgo/sp/protocol/rep"
	"github.com/spgo/sp/protocol/req"
	"github.com/spgo/sp/protocol/sub"
	sptls "github.com/spgo/sp/transport/tls"
)

// tls+tcp against every nngcat: 1.5.2, and 1.12 and 2.0 as build.sh builds
// them, all on mbedTLS 2 (Debian's), so TLS 1.2. What nngcat does, the same in
// every version, checked here:
//
//   - --cert FILE --key FILE (or one --cert file holding both) sets its
//     certificate; --cacert FILE the CA it trusts. A dialer needs --cacert
//     or --insecure: it does not use the system's roots ("Peer could not be
//     authenticated", exit 1).
//   - Its dialer checks the server name from the URL against the
//     certificate's DNS names only (mbedTLS 2 ignores IP SANs): dialing
//     tls+tcp://127.0.0.1 fails with "Cryptographic error" even for a cert
//     with IP 127.0.0.1, so nngcat dials tls+tcp://localhost.
//   - Its listener never asks for client certificates, --cacert or not.

// pkiFiles is a CA with a server and a client certificate, for sp as
// crypto/tls values and for nngcat as PEM files.
type pkiFiles struct {
	pool           *x509.CertPool
	server, client gotls.Certificate
	ca             string // CA certificate file
	serverCert     string // certificate files and their key files
	serverKey      string
	clientCert     string
	clientKey      string
}

// newPKI makes a CA named name with a server certificate (localhost,
// 127.0.0.1, ::1) and a client certificate, written to files in a
// temporary directory.
func newPKI(t *testing.T, name string) *pkiFiles {
	t.Helper()
	dir := t.TempDir()
	write := func(file, typ string, der []byte) string {
		path := filepath.Join(dir, file)
		require.NoError(t, os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600))
		return path
	}
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &caKey.PublicKey, caKey)
	require.NoError(t, err)
	caCert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	p := &pkiFiles{pool: x509.NewCertPool(), ca: write("ca.pem", "CERTIFICATE", der)}
	p.pool.AddCert(caCert)

	issue := func(cn string, server bool) (gotls.Certificate, string, string) {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		require.NoError(t, err)
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		}
		if server {
			tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
			tmpl.DNSNames = []string{"localhost"}
			tmpl.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
		require.NoError(t, err)
		pk, err := x509.MarshalPKCS8PrivateKey(key)
		require.NoError(t, err)
		c := gotls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
		file := strings.ReplaceAll(cn, " ", "-")
		return c, write(file+".crt", "CERTIFICATE", der), write(file+".key", "PRIVATE KEY", pk)
	}
	p.server, p.serverCert, p.serverKey = issue(name+" server", true)
	p.client, p.clientCert, p.clientKey = issue(name+" client", false)
	return p
}

// serverConfig presents the server certificate; with mutual, it requires a
// client certificate from the CA.
func (p *pkiFiles) serverConfig(mutual bool) *gotls.Config {
	c := &gotls.Config{Certificates: []gotls.Certificate{p.server}}
	if mutual {
		c.ClientAuth, c.ClientCAs = gotls.RequireAndVerifyClientCert, p.pool
	}
	return c
}

// clientConfig trusts the CA.
func (p *pkiFiles) clientConfig() *gotls.Config { return &gotls.Config{RootCAs: p.pool} }

// nngServer and nngClient are nngcat's flags for a listener presenting the
// server certificate and a dialer trusting the CA.
func (p *pkiFiles) nngServer() []string {
	return []string{"--cert", p.serverCert, "--key", p.serverKey}
}
func (p *pkiFiles) nngClient() []string { return []string{"--cacert", p.ca} }

// tlsConnect connects s and the tool (nngcat or macat) over tls+tcp: with
// spListens, s listens (on every interface: the tool dials localhost, which
// may be ::1) and the tool dials; otherwise the tool listens on 127.0.0.1 and
// s dials it. args are the tool's other flags, TLS ones included.
func tlsConnect(t *testing.T, tl tool, s sp.Socket, p *pkiFiles, spListens bool, args ...string) *interop.Proc {
	t.Helper()
	if spListens {
		l, err := s.NewListener("tls+tcp://*:0", sp.With(sp.TLSConfig, p.serverConfig(false)))
		require.NoError(t, err)
		require.NoError(t, l.Listen())
		url := fmt.Sprintf("tls+tcp://localhost:%d", l.Addr().(*net.TCPAddr).Port)
		return tl.start(t, append(tl.addr(false, url), args...)...)
	}
	url := fmt.Sprintf("tls+tcp://127.0.0.1:%d", interop.FreeTCPPort(t))
	c := tl.start(t, append(tl.addr(true, url), args...)...)
	require.NoError(t, s.Dial(url, sp.With(sp.TLSConfig, p.clientConfig()),
		sp.With(sp.ReconnectMin, 10*time.Millisecond), sp.With(sp.ReconnectMax, 100*time.Millisecond)))
	return c
}

// tlsForEach runs fn as a parallel subtest for each tool of tls, sp role,
// direction and payload, with the tool's TLS flags for that direction
// (macat's are nngcat's).
func tlsForEach(t *testing.T, tls []tool, roles []string, fn func(t *testing.T, tl tool, p *pkiFiles, role string, spListens bool, tlsArgs []string, pl payload)) {
	p := newPKI(t, "interop")
	for _, tl := range tls {
		for _, role := range roles {
			for _, spListens := range []bool{true, false} {
				for _, pl := range payloads {
					verb, args := "dials", p.nngServer()
					if spListens {
						verb, args = "listens", p.nngClient()
					}
					t.Run(fmt.Sprintf("%s/tls+tcp/%s-%s/%s", tl.name, role, verb, pl.name), func(t *testing.T) {
						t.Parallel()
						tl.path(t)
						fn(t, tl, p, role, spListens, args, pl)
					})
				}
			}
		}
	}
}

// TestTLSReqRep: sp req <-> C rep and C req <-> sp rep over tls+tcp, against
// every nngcat and macat, both directions of connection, payloads with every
// byte value and of 64 KiB (several TLS records).
func TestTLSReqRep(t *testing.T) {
	tlsForEach(t, append(slices.Clone(nngcats), macat), []string{"sp-req", "sp-rep"}, func(t *testing.T, tl tool, p *pkiFiles, role string, spListens bool, tlsArgs []string, pl payload) {
		request, reply := pl.b, answer(pl)
		if role == "sp-req" {
			s := newSocket(t, req.NewSocket)
			args := append(append(tlsArgs, "--rep", "--raw", "--file", writeFile(t, reply)), tl.count(1)...)
			c := tlsConnect(t, tl, s, p, spListens, args...)
			require.NoError(t, s.Send(ctx(t), request))
			m, err := s.RecvMsg(ctx(t))
			require.NoError(t, err)
			requireBytes(t, reply, m.Body, "sp req received reply")
			peer := "interop server" // the C listener's certificate
			if spListens {
				peer = "" // the peer dials without a certificate
			}
			requireTLSPeer(t, m.Pipe(), peer)
			waitExact(t, c, tl, request, tl.nng) // a macat rep runs until killed
			return
		}
		s := newSocket(t, rep.NewSocket)
		c := tlsConnect(t, tl, s, p, spListens, append(tlsArgs, "--req", "--raw", "--file", writeFile(t, request))...)
		got, err := s.Recv(ctx(t))
		require.NoError(t, err)
		requireBytes(t, request, got, "sp rep received request")
		require.NoError(t, s.Send(ctx(t), reply))
		waitExact(t, c, tl, reply, true)
	})
}

// requireTLSPeer checks that pipe is a TLS 1.2+ connection whose peer
// presented a certificate named cn, or none for cn "".
func requireTLSPeer(t *testing.T, pipe sp.Pipe, cn string) {
	t.Helper()
	st, err := sp.GetOption(pipe, sptls.ConnectionState)
	require.NoError(t, err)
	require.GreaterOrEqual(t, st.Version, uint16(gotls.VersionTLS12))
	certs, err := sp.GetOption(pipe, sptls.PeerCertificates)
	require.NoError(t, err)
	if cn == "" {
		require.Empty(t, certs)
		return
	}
	require.NotEmpty(t, certs)
	require.Equal(t, cn, certs[0].Subject.CommonName)
	t.Logf("%s, %s, peer %q", gotls.VersionName(st.Version), gotls.CipherSuiteName(st.CipherSuite), cn)
}

// TestTLSPubSub: sp pub -> nngcat sub and nngcat pub -> sp sub over tls+tcp.
func TestTLSPubSub(t *testing.T) {
	tlsForEach(t, nngcats, []string{"sp-pub", "sp-sub"}, func(t *testing.T, tl tool, p *pkiFiles, role string, spListens bool, tlsArgs []string, pl payload) {
		if role == "sp-pub" {
			s := newSocket(t, pub.NewSocket)
			pipes := sptest.CountPipes(s, nil)
			c := tlsConnect(t, tl, s, p, spListens, append(tlsArgs, "--sub", "--raw", "--subscribe", "", "--count", "1")...)
			pipes.WaitLive(t, 1)
			publish(t, s, c, pl.b)
			require.NoError(t, c.Wait(timeout))
			waitCopies(t, c, pl.b)
			return
		}
		s := newSocket(t, sub.NewSocket)
		require.NoError(t, sp.SetOption(s, sub.SubscribeOption, []byte{}))
		// The first send, at once, is lost if the sp sub is not connected
		// yet; nngcat repeats it a second later.
		tlsConnect(t, tl, s, p, spListens, append(tlsArgs, "--pub", "--file", writeFile(t, pl.b), "--interval", "1")...)
		got, err := s.Recv(ctx(t))
		require.NoError(t, err)
		requireBytes(t, pl.b, got, "sp sub received")
	})
}

// TestTLSMutualAuth: an sp listener that requires client certificates
// serves an nngcat presenting one from its CA (and sees who it is), rejects
// nngcat without a certificate or with one from another CA, and goes on
// serving. The other way, an sp dialer refuses an nngcat server whose
// certificate it cannot verify, and nngcat refuses an sp server likewise.
func TestTLSMutualAuth(t *testing.T) {
	p, other := newPKI(t, "interop"), newPKI(t, "other")
	for _, tl := range nngcats {
		t.Run(tl.name, func(t *testing.T) {
			t.Parallel()
			tl.path(t)
			tlsMutualAuth(t, tl, p, other)
		})
	}
}

// tlsMutualAuth is TestTLSMutualAuth against one nngcat.
func tlsMutualAuth(t *testing.T, tl tool, p, other *pkiFiles) {
	t.Run("sp-listens", func(t *testing.T) {
		s := newSocket(t, rep.NewSocket)
		log := sptest.NewLog()
		require.NoError(t, sp.SetOption(s, sp.Logger, slog.New(log)))
		l, err := s.NewListener("tls+tcp://*:0", sp.With(sp.TLSConfig, p.serverConfig(true)))
		require.NoError(t, err)
		require.NoError(t, l.Listen())
		url := fmt.Sprintf("tls+tcp://localhost:%d", l.Addr().(*net.TCPAddr).Port)

		good := func(i int) {
			req := fmt.Sprintf("request %d", i)
			c := tl.start(t, "--req", "--dial", url, "--cacert", p.ca,
				"--cert", p.clientCert, "--key", p.clientKey, "--data", req, "--quoted")
			m, err := s.RecvMsg(ctx(t))
			require.NoError(t, err)
			require.Equal(t, req, string(m.Body))
			requireTLSPeer(t, m.Pipe(), "interop client")
			m.Body = append(m.Body[:0], "welcome"...)
			require.NoError(t, s.SendMsg(ctx(t), m))
			c.WaitStdout(t, []byte(`"welcome"`), timeout)
			require.NoError(t, c.Wait(timeout))
		}
		good(1)
		for i, cert := range [][]string{nil, {"--cert", other.clientCert, "--key", other.clientKey}} {
			args := append([]string{"--req", "--dial", url, "--cacert", p.ca, "--data", "intruder"}, cert...)
			c := tl.start(t, args...)
			require.Error(t, c.Wait(timeout), "nngcat should fail to dial")
			t.Logf("nngcat %v: %s", cert, c.Stderr())
			log.Wait(t, "peer rejected", i+1)
		}
		good(2)
	})

	t.Run("sp-dials-untrusted", func(t *testing.T) {
		url := fmt.Sprintf("tls+tcp://127.0.0.1:%d", interop.FreeTCPPort(t))
		tl.start(t, "--rep", "--listen", url, "--cert", other.serverCert, "--key", other.serverKey, "--data", "x")
		s := newSocket(t, req.NewSocket)
		var err error
		require.Eventually(t, func() bool {
			err = s.Dial(url, sp.WithDialSync(), sp.With(sp.TLSConfig, p.clientConfig()))
			var ua x509.UnknownAuthorityError
			return err != nil && errors.As(err, &ua)
		}, timeout, 20*time.Millisecond, "last error: %v", err)
	})

	t.Run("nngcat-dials-untrusted", func(t *testing.T) {
		s := newSocket(t, rep.NewSocket)
		l, err := s.NewListener("tls+tcp://*:0", sp.With(sp.TLSConfig, other.serverConfig(false)))
		require.NoError(t, err)
		require.NoError(t, l.Listen())
		url := fmt.Sprintf("tls+tcp://localhost:%d", l.Addr().(*net.TCPAddr).Port)
		c := tl.start(t, "--req", "--dial", url, "--cacert", p.ca, "--data", "x")
		require.Error(t, c.Wait(timeout))
		require.Contains(t, string(c.Stderr()), "Unable to dial")
	})
}
