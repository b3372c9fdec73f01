package tcp

import (
	"fmt"
	"net"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/stream"
)

// The tcp transport adopts listeners and connections the application made.
var (
	_ sp.ListenerAdopter = Transport{}
	_ sp.ConnAdopter     = Transport{}
)

// AdoptListener implements sp.ListenerAdopter: it accepts connections on l,
// a TCP listener (its Addr a *net.TCPAddr), and speaks the tcp mapping over
// each, with sp.TCPNoDelay and sp.TCPKeepAlive applied as to those of a
// listener it binds. Closing the returned listener closes l.
func (Transport) AdoptListener(l net.Listener, cfg sp.TransportConfig) (sp.TransportListener, error) {
	if _, ok := l.Addr().(*net.TCPAddr); !ok {
		return nil, fmt.Errorf("%w: tcp adopts TCP listeners, not %s ones", sp.ErrNotSupported, l.Addr().Network())
	}
	o := options{cfg}
	bound := func() (net.Listener, error) { return l, nil }
	return stream.NewListener(cfg.Protocol().Self, false, bound, o.setup), nil
}

// AdoptConn implements sp.ConnAdopter: it speaks the tcp mapping (the
// 8-byte handshake, then frames with a 64-bit length) over c, whatever c
// is: a TCP connection, one end of a Unix socketpair, an in-memory pipe, as
// nng's socket:// transport does over any descriptor. A *net.TCPConn gets
// sp.TCPNoDelay and sp.TCPKeepAlive. Over a connection without a
// descriptor the pipe carries none of the capabilities that need one.
func (Transport) AdoptConn(c net.Conn, cfg sp.TransportConfig) (sp.TransportConn, error) {
	options{cfg}.setup(c)
	return stream.NewAdopted(c, cfg.Protocol().Self, false).Capable(), nil
}
