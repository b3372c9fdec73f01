// Package ws implements the ws:// and wss:// transports: SP over WebSocket
// (RFC 6455), as nng and nanomsg speak it.
//
// There is no SP handshake and no length prefix: one SP message, protocol
// header then body, is one WebSocket binary message, which may span several
// frames. The peer's protocol is agreed in the WebSocket upgrade through the
// subprotocol "<server>.sp.nanomsg.org", where <server> is the name of the
// listening socket's protocol: a req socket dialing asks for
// "rep.sp.nanomsg.org", a sub socket asks for "pub.sp.nanomsg.org". A
// listener refuses (HTTP 400) a client that does not offer its own name; a
// dialer fails with an error wrapping sp.ErrBadProtocol if the server does not
// select the subprotocol it asked for. Text messages are refused: the pipe
// closes with sp.ErrMalformed.
//
// Addresses are ws://host:port/path and wss://host:port/path (the path
// defaults to "/", the port to 80 or 443). A listener binds every interface
// with ws://*:port/path or ws://:port/path, and a free port with port 0: read
// it back from Listener.Addr, a *net.TCPAddr. Several listeners on the same
// host:port, told apart by their paths (matched exactly), share one HTTP
// server, which stops when the last of them closes; a request for another
// path gets 404. ws and wss cannot share a port, and the server's TLS and
// timeout settings are those of the listener that started it.
//
// To serve SP next to ordinary HTTP handlers, give the listener the
// application's mux with the ServeMux option: Listen then registers the path
// on that mux and binds nothing (the application runs the http.Server). As an
// http.ServeMux cannot forget a pattern, the path answers 404 once the
// listener has closed, until a listener with the same mux and path listens
// again.
//
// Options, all of which may be set on a socket, dialer or listener:
//
//   - sp.TLSConfig: the TLS configuration of wss (a listener needs a
//     certificate; a dialer without one verifies the server against the
//     system's roots). TLS 1.2 is the minimum.
//   - sp.HandshakeTimeout: bounds the WebSocket upgrade, on the dialer
//     (with the dial) and on the listener (request headers and response).
//   - MaxFrameSize: the largest frame sent (default 64 KiB, as nng).
//     Larger messages are sent in several frames.
//   - RequestHeader: extra headers of a dialer's upgrade request.
//   - ResponseHeader: extra headers of a listener's upgrade response.
//   - CheckOrigin: a listener's judge of the Origin header (default:
//     same origin as the Host, or no Origin at all, as gorilla/websocket).
//   - ServeMux: mount a listener on an application's mux (see above).
//
// A pipe made by a listener answers Request (sp.GetOption(m.Pipe(),
// ws.Request)) with the upgrade request, for its headers, URL, remote address
// and TLS state; a pipe made by a dialer answers Response with the upgrade
// response.
//
// Like the other transports, ws registers itself with sp.RegisterTransport.
package ws
