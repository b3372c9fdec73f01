// Package tcp implements the tcp:// transport: the SP handshake and 64-bit
// length-prefixed frames over TCP.
//
// Addresses are tcp://host:port. A listener binds every interface with
// tcp://*:port or tcp://:port, and a free port with port 0 (read it back
// from Listener.Addr). Hosts may be names, IPv4 or bracketed IPv6 literals
// (tcp://[::1]:5555).
//
// Options: sp.TCPNoDelay (default on) and sp.TCPKeepAlive apply to every
// connection, dialed or accepted.
//
// The transport registers itself with sp.RegisterTransport; every socket
// can use it without an import.
package tcp

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/stream"
)

func init() { sp.RegisterTransport(Transport{}) }

// Transport is the tcp transport.
type Transport struct{}

// Schemes implements sp.Transport.
func (Transport) Schemes() []string { return []string{"tcp"} }

// parse splits tcp://host:port; listen allows an empty or "*" host.
func parse(addr string, listen bool) (string, error) {
	hp, ok := strings.CutPrefix(addr, "tcp://")
	if !ok {
		return "", fmt.Errorf("%w: %q: want tcp://host:port", sp.ErrBadURL, addr)
	}
	if strings.ContainsAny(hp, "/?#") {
		return "", fmt.Errorf("%w: %q: a tcp address has no path", sp.ErrBadURL, addr)
	}
	host, port, err := net.SplitHostPort(hp)
	if err != nil {
		return "", fmt.Errorf("%w: %q: %v", sp.ErrBadURL, addr, err)
	}
	n, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		return "", fmt.Errorf("%w: %q: port %q is not a number from 0 to 65535", sp.ErrBadURL, addr, port)
	}
	if host == "*" {
		host = ""
	}
	if !listen && (host == "" || n == 0) {
		return "", fmt.Errorf("%w: %q: dialing needs a host and a non-zero port", sp.ErrBadURL, addr)
	}
	return net.JoinHostPort(host, port), nil
}

type options struct{ cfg sp.TransportConfig }

func (o options) setup(c net.Conn) {
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

// NewDialer implements sp.Transport.
func (Transport) NewDialer(addr string, cfg sp.TransportConfig) (sp.TransportDialer, error) {
	hp, err := parse(addr, false)
	if err != nil {
		return nil, err
	}
	return &dialer{addr: hp, opts: options{cfg}}, nil
}

type dialer struct {
	addr string
	opts options
}

func (d *dialer) Dial(ctx context.Context) (sp.TransportConn, error) {
	var nd net.Dialer
	nd.KeepAlive = -1 // set per connection by setup
	c, err := nd.DialContext(ctx, "tcp", d.addr)
	if err != nil {
		return nil, stream.DialError(err)
	}
	d.opts.setup(c)
	return stream.New(c, d.opts.cfg.Protocol().Self, false), nil
}

// NewListener implements sp.Transport. The listener's Addr is a
// *net.TCPAddr whose Port is the one chosen for port 0.
func (Transport) NewListener(addr string, cfg sp.TransportConfig) (sp.TransportListener, error) {
	hp, err := parse(addr, true)
	if err != nil {
		return nil, err
	}
	o := options{cfg}
	bind := func() (net.Listener, error) {
		lc := net.ListenConfig{KeepAlive: -1}
		return lc.Listen(context.Background(), "tcp", hp)
	}
	return stream.NewListener(cfg.Protocol().Self, false, bind, o.setup), nil
}
