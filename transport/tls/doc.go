// Package tls implements the tls+tcp:// transport: the tcp mapping (the
// 8-byte SP handshake, then 64-bit length-prefixed frames), unchanged,
// inside TLS 1.2 or later. It interoperates with nng's tls+tcp.
//
// # Addresses
//
// Addresses are tls+tcp://host:port, as for tcp. A listener binds every
// interface with tls+tcp://*:port or tls+tcp://:port, and a free port with
// port 0 (read it back from Listener.Addr, a *net.TCPAddr). Hosts may be
// names, IPv4 or bracketed IPv6 literals (tls+tcp://[::1]:5555). A dialer
// needs a host and a non-zero port.
//
// # Options
//
// Everything about TLS comes from the endpoint's sp.TLSConfig, a
// *crypto/tls.Config, read when a dialer connects and when a listener
// binds:
//
//   - A listener needs a certificate (Certificates, GetCertificate or
//     GetConfigForClient); without one Listen fails with an error wrapping
//     sp.ErrBadOption. To require client certificates, set ClientAuth (for
//     example crypto/tls.RequireAndVerifyClientCert) and ClientCAs.
//   - A dialer without a TLSConfig verifies the server against the system's
//     roots; set RootCAs for a private CA, Certificates to present a client
//     certificate, InsecureSkipVerify to skip verification (tests only).
//     Without ServerName, the host of the URL is used, as crypto/tls.Dial
//     does (an IP address is then checked against the certificate's IP
//     SANs).
//   - The configuration is cloned, never modified. MinVersion is raised
//     to TLS 1.2 if it is lower; a MaxVersion below TLS 1.2 is an error.
//
// sp.HandshakeTimeout bounds the TLS handshake and the SP handshake after
// it together; closing the socket, dialer or listener aborts both.
// sp.TCPNoDelay and sp.TCPKeepAlive apply to the TCP connection underneath.
//
// # Pipe properties
//
// A tls+tcp pipe answers PeerCertificates, VerifiedChains and
// ConnectionState through sp.GetOption, typically on the pipe of a
// received message:
//
//	m, err := s.RecvMsg(ctx)
//	certs, err := sp.GetOption(m.Pipe(), tls.PeerCertificates)
//	if err == nil && len(certs) > 0 {
//		log.Printf("from %s", certs[0].Subject.CommonName)
//	}
//
// These are read-only properties of a pipe; on a socket, dialer or listener
// they read as empty and cannot be set.
//
// # Example
//
// A server that requires client certificates signed by its CA, and a client
// that presents one:
//
//	import (
//		gotls "crypto/tls"
//
//		"github.com/spgo/sp"
//		"github.com/spgo/sp/protocol/rep"
//		"github.com/spgo/sp/protocol/req"
//	)
//
//	srv, _ := rep.NewSocket()
//	err := srv.Listen("tls+tcp://*:5555", sp.With(sp.TLSConfig, &gotls.Config{
//		Certificates: []gotls.Certificate{serverCert},
//		ClientAuth:   gotls.RequireAndVerifyClientCert,
//		ClientCAs:    caPool,
//	}))
//
//	cli, _ := req.NewSocket()
//	err = cli.Dial("tls+tcp://server.example:5555", sp.With(sp.TLSConfig, &gotls.Config{
//		Certificates: []gotls.Certificate{clientCert},
//		RootCAs:      caPool,
//	}))
//
// Close does not send a TLS close_notify alert: SP frames carry their own
// lengths, so a cut connection cannot pass for a complete message, and a
// close that waited on a stalled peer would hold up the socket's Close.
//
// The transport registers itself with sp.RegisterTransport.
package tls
