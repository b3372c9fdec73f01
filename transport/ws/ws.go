package ws

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"

	"github.com/spgo/sp"
)

// Options of the ws transport. They are registered with sp.RegisterOption, so
// every socket, dialer and listener accepts them.
var (
	// MaxFrameSize is the largest WebSocket frame payload sent (default
	// 64 KiB, as nng; 128 B .. 64 MiB). A larger message goes out in
	// several frames. Received frames may be of any size up to
	// sp.RecvMaxSize.
	MaxFrameSize = sp.NewOption[int]("ws-max-frame-size")
	// RequestHeader holds headers added to a dialer's upgrade request
	// (Authorization, Cookie, Origin, ...). Default nil.
	RequestHeader = sp.NewOption[http.Header]("ws-request-header")
	// ResponseHeader holds headers added to a listener's upgrade
	// response (Set-Cookie, ...). Default nil.
	ResponseHeader = sp.NewOption[http.Header]("ws-response-header")
	// CheckOrigin judges the upgrade requests a listener receives: false
	// refuses the request (HTTP 403). The default, nil, accepts a request
	// without an Origin header or whose Origin's host is the Host header,
	// as gorilla/websocket does; browsers always send Origin.
	CheckOrigin = sp.NewOption[func(r *http.Request) bool]("ws-check-origin")
	// ServeMux, set on a listener, makes Listen register the listener's
	// path on this mux instead of binding host:port itself. Default nil.
	ServeMux = sp.NewOption[*http.ServeMux]("ws-serve-mux")

	// Request is a property of a pipe made by a listener: the HTTP
	// upgrade request (headers, URL, RemoteAddr, TLS). Its Body is
	// consumed and its Context done. Read it with sp.GetOption(pipe,
	// ws.Request).
	Request = sp.NewOption[*http.Request]("ws-request")
	// Response is a property of a pipe made by a dialer: the HTTP upgrade
	// response (status, headers). Its Body is closed.
	Response = sp.NewOption[*http.Response]("ws-response")
)

// DefaultMaxFrameSize is MaxFrameSize's default.
const DefaultMaxFrameSize = 64 << 10

// readBufferSize is the size of a connection's read buffer; reads into
// larger message buffers bypass it.
const readBufferSize = 16 << 10

func init() {
	sp.RegisterOption(MaxFrameSize, DefaultMaxFrameSize, func(n int) error {
		if n < 128 || n > 64<<20 {
			return fmt.Errorf("%d is outside 128..%d", n, 64<<20)
		}
		return nil
	})
	sp.RegisterOption(RequestHeader, nil, nil)
	sp.RegisterOption(ResponseHeader, nil, nil)
	sp.RegisterOption(CheckOrigin, nil, nil)
	sp.RegisterOption(ServeMux, nil, nil)
	sp.RegisterTransport(Transport{})
}

// Transport is the ws transport; it serves the schemes ws and wss.
type Transport struct{}

// Schemes implements sp.Transport.
func (Transport) Schemes() []string { return []string{"ws", "wss"} }

// Subprotocol returns the WebSocket subprotocol of a server socket whose
// protocol is named name: "rep" gives "rep.sp.nanomsg.org".
func Subprotocol(name string) string { return name + ".sp.nanomsg.org" }

// address is a parsed ws or wss URL.
type address struct {
	u        *url.URL
	secure   bool
	hostport string // host:port to dial or bind; host "" binds all
	path     string
}

// parse checks a ws or wss URL. A listener's host may be "" or "*"; a
// dialer's may not, nor may its port be 0.
func parse(addr string, listen bool) (*address, error) {
	bad := func(why string, args ...any) error {
		return fmt.Errorf("%w: %q: %s", sp.ErrBadURL, addr, fmt.Sprintf(why, args...))
	}
	u, err := url.Parse(addr)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, bad("%v", err)
	}
	a := &address{u: u, path: u.Path}
	switch u.Scheme {
	case "ws":
	case "wss":
		a.secure = true
	default:
		return nil, bad("want ws://host:port/path or wss://host:port/path")
	}
	if u.User != nil || u.Fragment != "" || u.Opaque != "" {
		return nil, bad("want ws://host:port/path, without user, fragment or opaque part")
	}
	if u.Host == "" {
		return nil, bad("no host or port")
	}
	if listen && (u.RawQuery != "" || u.ForceQuery) {
		return nil, bad("a listener's address has no query")
	}
	if a.path == "" {
		a.path = "/"
	}
	host, port := u.Hostname(), u.Port()
	if port == "" {
		port = "80"
		if a.secure {
			port = "443"
		}
	}
	n, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		return nil, bad("port %q is not a number from 0 to 65535", port)
	}
	if host == "*" {
		host = ""
	}
	if !listen && (host == "" || n == 0) {
		return nil, bad("dialing needs a host and a non-zero port")
	}
	a.hostport = net.JoinHostPort(host, port)
	return a, nil
}

// options reads an endpoint's option values.
type options struct{ cfg sp.TransportConfig }

func get[T any](o options, opt sp.Option[T]) T {
	v, _ := sp.GetOption(o.cfg, opt) // registered: cannot fail
	return v
}

func (o options) frameSize() int {
	if n := get(o, MaxFrameSize); n > 0 {
		return n
	}
	return DefaultMaxFrameSize
}

// tlsConfig returns a clone of the endpoint's sp.TLSConfig (an empty one if
// it has none), with TLS 1.2 at least and HTTP/1.1 as the only ALPN protocol
// (WebSocket upgrades need HTTP/1.1). A server's needs a certificate.
func (o options) tlsConfig(server bool) (*tls.Config, error) {
	c := get(o, sp.TLSConfig)
	if c == nil {
		c = &tls.Config{}
	}
	if c.MaxVersion != 0 && c.MaxVersion < tls.VersionTLS12 {
		return nil, fmt.Errorf("%w: wss: sp.TLSConfig's MaxVersion is %s, below TLS 1.2",
			sp.ErrBadOption, tls.VersionName(c.MaxVersion))
	}
	if server && len(c.Certificates) == 0 && c.GetCertificate == nil && c.GetConfigForClient == nil {
		return nil, fmt.Errorf("%w: wss: a listener needs sp.TLSConfig with a certificate "+
			"(Certificates, GetCertificate or GetConfigForClient)", sp.ErrBadOption)
	}
	c = c.Clone()
	c.MinVersion = max(c.MinVersion, tls.VersionTLS12)
	c.NextProtos = []string{"http/1.1"}
	return c, nil
}
