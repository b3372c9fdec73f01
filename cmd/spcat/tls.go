package main

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"strings"
)

// tlsConfig builds the sp.TLSConfig of an endpoint from --cert, --key,
// --cacert and --insecure, as nngcat configures nng's TLS:
//
//   - --cert FILE (PEM) is the endpoint's own certificate; its key is
//     --key FILE, or the same file when --key is not given.
//   - --cacert FILE is the CA chain the peer is checked against: a dialer
//     verifies the server with it. A listener only keeps it: as nng's (its
//     server side's default authentication mode is none, and nngcat has no
//     flag to change it), it never asks for a client certificate.
//   - --insecure skips verification of the server.
//
// A dialer with none of these verifies the server against the system's
// roots. A listener needs --cert: without it, Listen fails at once (nngcat
// listens, and every handshake then fails).
func (cfg *config) tlsConfig(listen bool) (*tls.Config, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if cfg.cert != nil {
		key := cfg.key
		if key == nil {
			key = cfg.cert
		}
		pair, err := tls.X509KeyPair(cfg.cert, key)
		if err != nil {
			//lint:ignore ST1005 nngcat's words, printed as they are
			return nil, fmt.Errorf("Cannot load certificate: %v", err)
		}
		tc.Certificates = []tls.Certificate{pair}
	}
	if cfg.cacert != nil {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(cfg.cacert) {
			//lint:ignore ST1005 nngcat's words, printed as they are
			return nil, fmt.Errorf("Cannot load CA certificate: no PEM certificate found")
		}
		if listen {
			tc.ClientCAs = pool // kept, not used: no client certificate is asked for
		} else {
			tc.RootCAs = pool
		}
	}
	if cfg.insecure {
		tc.InsecureSkipVerify = true
	}
	return tc, nil
}

// usesTLS reports whether url's transport runs over TLS.
func usesTLS(url string) bool {
	return strings.HasPrefix(url, "tls+tcp://") || strings.HasPrefix(url, "wss://")
}
