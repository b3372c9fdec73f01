package tls

import (
	gotls "crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/stream"
)

// Properties of a tls+tcp pipe, read with sp.GetOption on the sp.Pipe (for
// example the Pipe of a received message). They are registered with
// sp.RegisterOption so that their names are known everywhere, but only a
// pipe has values for them: on a socket, dialer or listener they read as
// empty, and setting them fails with an error wrapping sp.ErrBadOption.
var (
	// PeerCertificates is the certificate chain the peer presented, leaf
	// first. A server that did not ask for client certificates sees none.
	PeerCertificates = sp.NewOption[[]*x509.Certificate]("tls-peer-certificates")
	// VerifiedChains are the chains that verified the peer's certificate,
	// each from the leaf to a trusted root; empty when verification was
	// skipped (InsecureSkipVerify, or a server not verifying clients).
	VerifiedChains = sp.NewOption[[][]*x509.Certificate]("tls-verified-chains")
	// ConnectionState is the whole crypto/tls state of the connection:
	// version, cipher suite, server name, certificates.
	ConnectionState = sp.NewOption[gotls.ConnectionState]("tls-connection-state")
)

func readOnly[T any](T) error {
	return errors.New("read-only: a property of a tls+tcp pipe (read it with sp.GetOption on the pipe)")
}

func registerProperties() {
	sp.RegisterOption(PeerCertificates, nil, readOnly)
	sp.RegisterOption(VerifiedChains, nil, readOnly)
	sp.RegisterOption(ConnectionState, gotls.ConnectionState{}, readOnly)
}

// conn is the tcp mapping over a TLS connection: its Handshake runs the TLS
// handshake and then the SP one, both before the deadline.
type conn struct {
	streamConn
	tc *gotls.Conn
}

// streamConn is what a tls connection carries of stream.Conn's
// capabilities. It leaves out sp.DirectSender, sp.ResumableConn and
// syscall.Conn: they need the descriptor under the connection, which a
// crypto/tls connection hides, and a stream.Conn without one declines them
// on every call.
type streamConn interface {
	sp.TransportConn
	sp.BufferedConn
	sp.SentCounter
	sp.HalfCloser
}

func newConn(sc *stream.Conn) *conn {
	return &conn{streamConn: sc, tc: sc.NetConn().(*gotls.Conn)}
}

// Handshake implements sp.TransportConn. Close aborts it.
func (c *conn) Handshake(deadline time.Time) error {
	if err := c.tc.SetDeadline(deadline); err != nil {
		return err
	}
	if err := c.tc.Handshake(); err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return fmt.Errorf("tls handshake: %w: no TLS handshake from the peer in time", sp.ErrTimeout)
		}
		return fmt.Errorf("tls handshake: %w", err)
	}
	return c.streamConn.Handshake(deadline)
}

// Close implements sp.TransportConn. It closes the TCP connection at once,
// without a close_notify alert, which could block on a peer that does not
// read.
func (c *conn) Close() error { return c.tc.NetConn().Close() }

// OptionValue implements sp.OptionGetter: it answers the pipe properties
// PeerCertificates, VerifiedChains and ConnectionState.
func (c *conn) OptionValue(name string) (any, error) {
	switch name {
	case PeerCertificates.Name():
		return c.tc.ConnectionState().PeerCertificates, nil
	case VerifiedChains.Name():
		return c.tc.ConnectionState().VerifiedChains, nil
	case ConnectionState.Name():
		return c.tc.ConnectionState(), nil
	}
	return nil, fmt.Errorf("%w: a %s pipe has no property %q", sp.ErrBadOption, Scheme, name)
}
