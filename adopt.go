package sp

import (
	"net"
)

// ListenerAdopter is implemented by transports that can serve SP on a
// net.Listener the application made itself (a descriptor systemd passed, a
// listener from a supervisor, a port bound before dropping privileges),
// rather than on an address they bind. Socket.ListenOn asks the transport
// that serves the listener's network: tcp for "tcp", "tcp4" and "tcp6",
// ipc for "unix". The built-in tcp and ipc transports implement it. A
// transport serves every socket, so AdoptListener may be called from
// several goroutines at once.
type ListenerAdopter interface {
	// AdoptListener returns a listener that accepts connections on l and
	// speaks the transport's mapping over each. Its Listen binds nothing;
	// its Close closes l. An l the transport cannot serve (of another
	// network) returns an error wrapping ErrNotSupported, and l stays
	// the caller's.
	AdoptListener(l net.Listener, cfg TransportConfig) (TransportListener, error)
}

// ConnAdopter is implemented by transports that can make a connection of
// an existing net.Conn (one end of a socketpair, an SSH channel, a proxied
// connection), whose handshake is not done yet. Socket.AddConn asks the tcp
// transport, since nng's socket:// speaks the tcp mapping over whatever
// stream it is given. The built-in tcp transport implements it, and
// AdoptConn may be called from several goroutines at once.
type ConnAdopter interface {
	// AdoptConn returns a connection speaking the transport's mapping
	// over c, which it takes: closing the connection closes c.
	AdoptConn(c net.Conn, cfg TransportConfig) (TransportConn, error)
}

// AdoptedURL is the endpoint URL of the pipes that Socket.AddConn makes, as
// Stats shows it: the scheme of nng's transport over descriptors the
// application passes in.
const AdoptedURL = "socket://"

// ListenerScheme returns the URL scheme of the transport that serves a
// listener of the given network (as net.Addr.Network names it) for
// Socket.ListenOn: "tcp" for "tcp", "tcp4" and "tcp6", "ipc" for "unix",
// and "" for any other.
func ListenerScheme(network string) string {
	switch network {
	case "tcp", "tcp4", "tcp6":
		return "tcp"
	case "unix":
		return "ipc"
	}
	return ""
}
