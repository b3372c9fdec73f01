package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/spgo/sp/internal/interop"
	"github.com/stretchr/testify/require"
)

// tlsFiles are PEM files of a CA, a server certificate it signed (for
// localhost: nng 1.5's mbedTLS ignores IP names) and a client certificate
// it signed.
type tlsFiles struct{ ca, serverCert, serverKey, clientCert, clientKey string }

func newTLSFiles(t *testing.T) tlsFiles {
	t.Helper()
	dir := t.TempDir()
	write := func(name, typ string, der []byte) string {
		path := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600))
		return path
	}
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "spcat test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true, IsCA: true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	require.NoError(t, err)
	ca, err := x509.ParseCertificate(caDER)
	require.NoError(t, err)
	leaf := func(name string, usage x509.ExtKeyUsage, dns []string) (string, string) {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		require.NoError(t, err)
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: name},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage}, DNSNames: dns,
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
		require.NoError(t, err)
		pk, err := x509.MarshalPKCS8PrivateKey(key)
		require.NoError(t, err)
		return write(name+".crt", "CERTIFICATE", der), write(name+".key", "PRIVATE KEY", pk)
	}
	f := tlsFiles{ca: write("ca.pem", "CERTIFICATE", caDER)}
	f.serverCert, f.serverKey = leaf("server", x509.ExtKeyUsageServerAuth, []string{"localhost"})
	f.clientCert, f.clientKey = leaf("client", x509.ExtKeyUsageClientAuth, nil)
	return f
}

// A tls+tcp listener without --cert could never finish a handshake: spcat
// says so at once, where nngcat listens and fails every handshake.
func TestTLSListenerNeedsCert(t *testing.T) {
	r := runSpcat("", "--rep", "--listen", fmt.Sprintf("tls+tcp://localhost:%d", interop.FreeTCPPort(t)), "--data", "x")
	require.Equal(t, 1, r.Code, "exit status")
	require.Contains(t, r.Stderr, "a listener needs sp.TLSConfig with a certificate", "got %q", r.Stderr)
}

// TestTLSFlagsSideBySide runs nngcat and spcat in turn as a tls+tcp rep
// listener, with its certificate and every combination of --cacert and
// --insecure (see TestTLSListenerNeedsCert for none), against the same
// nngcat req dialer, itself with every combination that can succeed
// against some listener: the two tools must agree on each (what the
// dialer printed, and the listener's output and exit status). It runs for
// each nngcat: 1.5 (Debian), 1.12 and 2.0 (../shared/peers/build.sh), the
// listener and the dialer of one version.
func TestTLSFlagsSideBySide(t *testing.T) {
	for _, v := range interop.NNGCats {
		t.Run(v.Name, func(t *testing.T) { tlsFlagsSideBySide(t, v) })
	}
}

func tlsFlagsSideBySide(t *testing.T, v interop.Peer) {
	nngcat := v.Path(t)
	f := newTLSFiles(t)
	own := []string{"--cert", f.serverCert, "--key", f.serverKey}
	listeners := map[string][]string{
		"cert":                 own,
		"cert+cacert":          append(append([]string{}, own...), "--cacert", f.ca),
		"cert+insecure":        append(append([]string{}, own...), "--insecure"),
		"cert+cacert+insecure": append(append([]string{}, own...), "--cacert", f.ca, "--insecure"),
	}
	dialers := map[string][]string{
		"cacert":             {"--cacert", f.ca},
		"cacert+client-cert": {"--cacert", f.ca, "--cert", f.clientCert, "--key", f.clientKey},
		"insecure":           {"--insecure"},
		"none":               nil,
	}
	for ln, lflags := range listeners {
		for dn, dflags := range dialers {
			t.Run("listener-"+ln+"/dialer-"+dn, func(t *testing.T) {
				t.Parallel()
				sideSlots <- struct{}{}
				defer func() { <-sideSlots }()
				sc := scenario{
					name:        ln + "/" + dn,
					toolListens: true,
					tool: func(url string) []string {
						return append([]string{"--rep", "--listen", url, "--data", "pong", "--count", "1",
							"--quoted", "--recv-timeout", "3"}, lflags...)
					},
					peer: func(url string) []string {
						return append([]string{"--req", "--dial", url, "--data", "ping", "--quoted",
							"--recv-timeout", "2"}, dflags...)
					},
				}
				url := func() string { return fmt.Sprintf("tls+tcp://localhost:%d", interop.FreeTCPPort(t)) }
				urlN, urlS := url(), url()
				n, np := side(t, nngcat, v, sc, urlN)
				s, sp := side(t, "spcat", v, sc, urlS)
				mask := func(s, url string) string { return strings.ReplaceAll(s, url, "URL") }
				want := []string{mask(n.Stdout, urlN), mask(n.Stderr, urlN), strconv.Itoa(n.Code), np}
				got := []string{mask(s.Stdout, urlS), mask(s.Stderr, urlS), strconv.Itoa(s.Code), sp}
				t.Logf("nngcat: %q", want)
				require.Equal(t, want, got, "spcat as the listener (stdout, stderr, exit status, the dialer's output)")
			})
		}
	}
}
