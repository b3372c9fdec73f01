// Package sp is the vocabulary of sp, a pure-Go implementation of the
// Scalability Protocols: the brokerless messaging patterns of nanomsg, nng
// and mangos. sp speaks their wire format, so its sockets talk to C programs
// built on nng or nanomsg and to Go programs built on mangos.
//
// A socket is built by a protocol package (req, rep, pub, sub, push, pull,
// surveyor, respondent, pair, pair1, bus, star) and connected by URL through
// any number of dialers and listeners:
//
//	s, err := req.NewSocket()
//	if err != nil { ... }
//	defer s.Close()
//	if err := s.Dial("tcp://127.0.0.1:5555"); err != nil { ... }
//	reply, err := req.Request(ctx, s, []byte("ping"))
//
// Transports are chosen by URL scheme: inproc://name, ipc:///path (also
// unix:// and, on Linux, abstract://name), tcp://host:port,
// tls+tcp://host:port, ws://host:port/path, wss://, udp://host:port
// (one message per datagram, nng 2.0's udp) and
// zt://node.network:port (ZeroTier). They need no import. Dial returns at
// once and keeps reconnecting in the background; WithDialSync makes the
// first attempt happen before Dial returns, and DialContext does the same
// bounded by a context. Listen returns the Listener, whose URL and Addr
// tell the port the system chose for port 0.
//
// A service can also bring its own descriptors: ListenOn serves a socket on
// a net.Listener the application made (under systemd, one of
// ActivationListeners), and AddConn makes a pipe of a connection it already
// has, such as one end of a socketpair whose other end an nng program opens
// with its socket:// transport. Their pipes show in Stats under socket://.
//
// Services: rep.Serve and respondent.Serve answer requests (surveys) many
// at once, each to the one who asked; req.Request and surveyor.Survey may be
// called from any number of goroutines on one socket, each getting its own
// reply (answers). A bare req, rep, surveyor or respondent socket runs one
// exchange at a time, and refuses an overlapping call with ErrBadState
// rather than hand one goroutine another's reply. WaitPeers waits until a
// socket has its peers (a publisher, its subscribers); Shutdown writes out
// what Send accepted before it closes, where Close drops it.
//
// Every blocking call takes a context.Context and also honors the socket's
// SendTimeout and RecvTimeout; a passed deadline reads as ErrTimeout. Close
// unblocks every call with ErrClosed and returns once every goroutine the
// socket started has ended.
//
// Each protocol also has a raw mode (NewRawSocket), which exposes protocol
// headers in Message.Header, for devices (see Device) and for applications
// that keep their own state. The protocols whose state allows one exchange at
// a time (req, rep, surveyor, respondent, sub) have contexts (OpenContext):
// independent states on one socket, each usable from its own goroutine.
//
// Options are typed: SetOption(s, RecvMaxSize, 4<<20) is checked at compile
// time. Errors are sentinels matched with errors.Is, often wrapped in an
// *OpError that names the operation and address.
//
// Stats returns a socket's counters; StatsHandler and PublishStats serve
// them. The Logger option takes a *slog.Logger for connection events.
// SetPipeHook follows pipes as they come and go; the hook runs on a
// goroutine of the socket's own, in order, and may close anything,
// the socket included.
//
// Transports plug in with RegisterTransport. A connection's optional
// capabilities (BufferedConn, DirectSender, HalfCloser, SentCounter,
// ResumableConn, SendLimiter and the others ConnAs lists) are interfaces
// it implements, as an http.ResponseWriter implements http.Flusher; a
// wrapper keeps them with ConnUnwrapper. The transporttest package checks
// a transport, and each capability it claims.
//
// Messages received over the network are limited to RecvMaxSize (1 MiB by
// default); a larger one closes the pipe it came on, before anything is
// allocated for it, and the socket goes on serving its other peers.
package sp
