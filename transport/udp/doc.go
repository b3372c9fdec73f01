// Package udp implements the udp:// transport: SP over UDP, one message
// per datagram, speaking the wire of nng 2.0's udp transport.
//
// # Addresses
//
// An address is udp://host:port; udp4:// and udp6:// keep to one address
// family. A listener binds every interface with udp://*:port or
// udp://:port, and a free port with port 0 (read it back from
// Listener.Addr, a *net.UDPAddr). Hosts may be names, IPv4 or bracketed
// IPv6 literals (udp://[::1]:5555).
//
//	l, err := s.Listen("udp://*:5555")
//	err = c.Dial("udp://127.0.0.1:5555")
//
// # On the wire
//
// Every datagram starts with an 8-byte header: version 1, an opcode, the
// sender's SP protocol id, and two 16-bit parameters, all little-endian.
// A dialer sends CREQ (its receive limit and refresh interval) every
// ConnRetry until the listener answers CACK (its own), then again every
// refresh interval to keep the connection alive; either side drops a peer
// it has heard nothing from for five refresh intervals. A message is one
// DATA datagram. DISC ends a connection with a reason (see DiscError).
// rfc/transport-udp.md has the details.
//
// # What it does not promise
//
// UDP loses, duplicates and reorders datagrams, and so does this
// transport: there is no retransmission, acknowledgement or flow control,
// as in nng. A message that does not fit one datagram, or the receive
// limit the peer advertised (at most 65000 bytes), is never fragmented:
// the socket's Send refuses it with an error wrapping sp.ErrTooLarge
// (the connection is an sp.SendLimiter), and the pipe stays. A
// connection holds up to 128 received messages for its receiver and
// drops the oldest when a new one finds no room, as nng does. What a
// listener or dialer drops and refuses is counted in Counters (see
// CountersTo).
//
// A dialer's socket is connected to the peer, so that a request to a port
// nobody listens on fails at once with sp.ErrConnRefused; replies must
// then come from the address dialed (a listener bound to a wildcard
// address on a host with several addresses may answer from another).
//
// # Differences from nng
//
// nng drops a message over the peer's limit silently, keeping the pipe.
// nng has no option for the refresh interval (it is 5 s); Refresh sets
// it. nng's NNG_OPT_UDP_COPY_MAX tunes its buffers and has no meaning
// here. The MESH opcode is reserved by nng and unimplemented in both.
//
// The package registers the transport with sp.RegisterTransport in its
// init function.
package udp
