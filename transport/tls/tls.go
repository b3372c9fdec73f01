package tls

import (
	"context"
	gotls "crypto/tls"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/stream"
)

// Scheme is the URL scheme the transport serves.
const Scheme = "tls+tcp"

func init() {
	sp.RegisterTransport(Transport{})
	registerProperties()
}

// Transport is the tls+tcp transport.
type Transport struct{}

// Schemes implements sp.Transport.
func (Transport) Schemes() []string { return []string{Scheme} }

// parse splits tls+tcp://host:port into the address to dial or bind and
// the host (for the server name); listen allows an empty or "*" host and
// port 0.
func parse(addr string, listen bool) (hostport, host string, err error) {
	hp, ok := strings.CutPrefix(addr, Scheme+"://")
	if !ok {
		return "", "", fmt.Errorf("%w: %q: want %s://host:port", sp.ErrBadURL, addr, Scheme)
	}
	if strings.ContainsAny(hp, "/?#") {
		return "", "", fmt.Errorf("%w: %q: a %s address has no path", sp.ErrBadURL, addr, Scheme)
	}
	host, port, err := net.SplitHostPort(hp)
	if err != nil {
		return "", "", fmt.Errorf("%w: %q: %v", sp.ErrBadURL, addr, err)
	}
	n, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		return "", "", fmt.Errorf("%w: %q: port %q is not a number from 0 to 65535", sp.ErrBadURL, addr, port)
	}
	if host == "*" {
		host = ""
	}
	if !listen && (host == "" || n == 0) {
		return "", "", fmt.Errorf("%w: %q: dialing needs a host and a non-zero port", sp.ErrBadURL, addr)
	}
	return net.JoinHostPort(host, port), host, nil
}

// options reads the endpoint's current option values.
type options struct{ cfg sp.TransportConfig }

// setup applies the TCP options to c, a TCP connection or a TLS connection
// over one.
func (o options) setup(c net.Conn) {
	if t, ok := c.(*gotls.Conn); ok {
		c = t.NetConn()
	}
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return
	}
	if v, err := sp.GetOption(o.cfg, sp.TCPNoDelay); err == nil {
		tc.SetNoDelay(v)
	}
	if v, err := sp.GetOption(o.cfg, sp.TCPKeepAlive); err == nil {
		tc.SetKeepAlive(v > 0)
		if v > 0 {
			tc.SetKeepAlivePeriod(v)
		}
	}
}

// tlsConfig returns a clone of the endpoint's sp.TLSConfig (an empty one
// if it has none) with MinVersion raised to TLS 1.2.
func (o options) tlsConfig() (*gotls.Config, error) {
	c, err := sp.GetOption(o.cfg, sp.TLSConfig)
	if err != nil {
		return nil, err
	}
	if c == nil {
		c = &gotls.Config{}
	}
	return secure(c)
}

// secure returns a clone of c that allows no version below TLS 1.2.
func secure(c *gotls.Config) (*gotls.Config, error) {
	if c.MaxVersion != 0 && c.MaxVersion < gotls.VersionTLS12 {
		return nil, fmt.Errorf("%w: %s: sp.TLSConfig's MaxVersion is %s, below the TLS 1.2 this transport requires",
			sp.ErrBadOption, Scheme, gotls.VersionName(c.MaxVersion))
	}
	c = c.Clone()
	if c.MinVersion < gotls.VersionTLS12 {
		c.MinVersion = gotls.VersionTLS12
	}
	return c, nil
}

// errNoCert is the cause of a Listen without a server certificate.
var errNoCert = errors.New("a listener needs sp.TLSConfig with a certificate " +
	"(Certificates, GetCertificate or GetConfigForClient)")

// serverConfig returns the configuration of a listener, which must have a
// certificate. Configurations that GetConfigForClient returns are held to
// TLS 1.2 too.
func (o options) serverConfig() (*gotls.Config, error) {
	c, err := o.tlsConfig()
	if err != nil {
		return nil, err
	}
	if len(c.Certificates) == 0 && c.GetCertificate == nil && c.GetConfigForClient == nil {
		return nil, fmt.Errorf("%w: %s: %w", sp.ErrBadOption, Scheme, errNoCert)
	}
	if get := c.GetConfigForClient; get != nil {
		c.GetConfigForClient = func(hello *gotls.ClientHelloInfo) (*gotls.Config, error) {
			cc, err := get(hello)
			if err != nil || cc == nil {
				return cc, err
			}
			return secure(cc)
		}
	}
	return c, nil
}

// clientConfig returns the configuration of a dialer to host: without a
// ServerName, host is the name to verify, as crypto/tls.Dial does.
func (o options) clientConfig(host string) (*gotls.Config, error) {
	c, err := o.tlsConfig()
	if err != nil {
		return nil, err
	}
	if c.ServerName == "" {
		c.ServerName = host
	}
	return c, nil
}

// NewDialer implements sp.Transport.
func (Transport) NewDialer(addr string, cfg sp.TransportConfig) (sp.TransportDialer, error) {
	hp, host, err := parse(addr, false)
	if err != nil {
		return nil, err
	}
	return &dialer{addr: hp, host: host, opts: options{cfg}}, nil
}

type dialer struct {
	addr string
	host string
	opts options
}

// Dial connects over TCP; the TLS handshake happens in the connection's
// Handshake, bounded by sp.HandshakeTimeout.
func (d *dialer) Dial(ctx context.Context) (sp.TransportConn, error) {
	tc, err := d.opts.clientConfig(d.host)
	if err != nil {
		return nil, err
	}
	var nd net.Dialer
	nd.KeepAlive = -1 // set per connection by setup
	c, err := nd.DialContext(ctx, "tcp", d.addr)
	if err != nil {
		return nil, stream.DialError(err)
	}
	d.opts.setup(c)
	return newConn(stream.New(gotls.Client(c, tc), d.opts.cfg.Protocol().Self, false)), nil
}

// NewListener implements sp.Transport. The listener's Addr is a
// *net.TCPAddr whose Port is the one chosen for port 0. Its sp.TLSConfig
// is read, and must have a certificate, when it binds.
func (Transport) NewListener(addr string, cfg sp.TransportConfig) (sp.TransportListener, error) {
	hp, _, err := parse(addr, true)
	if err != nil {
		return nil, err
	}
	o := options{cfg}
	bind := func() (net.Listener, error) {
		tc, err := o.serverConfig()
		if err != nil {
			return nil, err
		}
		lc := net.ListenConfig{KeepAlive: -1}
		l, err := lc.Listen(context.Background(), "tcp", hp)
		if err != nil {
			return nil, err
		}
		return gotls.NewListener(l, tc), nil
	}
	return listener{stream.NewListener(cfg.Protocol().Self, false, bind, o.setup)}, nil
}

// listener accepts TCP connections whose TLS handshake is left to the
// engine's Handshake call, so that a slow client holds up only itself.
type listener struct{ *stream.Listener }

// Accept implements sp.TransportListener.
func (l listener) Accept() (sp.TransportConn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	sc, ok := c.(*stream.Conn)
	if !ok {
		c.Close()
		return nil, fmt.Errorf("%s: internal error: stream listener returned a %T", Scheme, c)
	}
	return newConn(sc), nil
}
