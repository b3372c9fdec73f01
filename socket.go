package sp

import (
	"context"
	"net"
)

// ProtocolInfo names a protocol and its peer. IDs are the 16-bit SP protocol
// numbers exchanged in the handshake (12-bit protocol, 4-bit role).
type ProtocolInfo struct {
	Self     uint16 // this socket's protocol id, e.g. 0x30 for req
	Peer     uint16 // the id a peer must have, e.g. 0x31 for rep
	SelfName string // e.g. "req"
	PeerName string // e.g. "rep"
}

// OptionSetter is anything whose options can be set: a Socket, a Dialer, a
// Listener. Use the typed SetOption function rather than calling
// SetOptionValue directly.
type OptionSetter interface {
	// SetOptionValue sets the option named name. It returns an error
	// wrapping ErrBadOption for an unknown name, a value of the wrong type or
	// out of range.
	SetOptionValue(name string, value any) error
}

// OptionGetter is anything whose options can be read. Use the typed
// GetOption function rather than calling OptionValue directly.
type OptionGetter interface {
	// OptionValue returns the current value of the option named name, or
	// an error wrapping ErrBadOption for an unknown name.
	OptionValue(name string) (any, error)
}

// Socket is an SP socket: one end of a messaging pattern, connected to any
// number of peers through its dialers and listeners. Build one with the
// NewSocket function of a protocol package, such as req.NewSocket.
//
// A Socket ends with Close or Shutdown. Close is the hard stop: it drops
// what is still queued in the socket and returns at once. Shutdown is the
// tidy end: it refuses new sends, writes out everything Send accepted, waits
// (bounded by its context) for the peers to read it, and then closes as
// Close does; if its context ends first it says how many messages it
// dropped (ShutdownError). Either returns once every goroutine of the
// socket has exited.
//
// A Socket is safe for concurrent use by multiple goroutines: no call
// corrupts it or races with another. What concurrent calls mean depends on
// the protocol. Where messages are independent (push, pull, pub, sub, pair,
// bus, star), goroutines may send and receive at once and each message goes
// to exactly one of the receiving goroutines. Where a reply belongs to a
// request (req, rep, surveyor, respondent), the socket itself runs one
// exchange at a time and fails with ErrBadState, rather than cross replies,
// when another goroutine's exchange is not over; goroutines that share such
// a socket use its protocol's helpers (rep.Serve, req.Request,
// surveyor.Survey, respondent.Serve) or a Context each.
type Socket interface {
	// Info returns the socket's protocol and its peer's.
	Info() ProtocolInfo

	// Send sends a copy of b. It blocks as the protocol requires (push
	// waits for a puller with room; pub never blocks) until ctx ends, the
	// send timeout (SendTimeout) expires, or the socket closes.
	Send(ctx context.Context, b []byte) error
	// Recv receives the body of the next message, which belongs to the
	// caller from then on. It blocks until a message arrives, ctx ends, the
	// receive timeout (RecvTimeout) expires, or the socket closes.
	Recv(ctx context.Context) ([]byte, error)
	// SendMsg sends m and takes ownership of it, also on error.
	SendMsg(ctx context.Context, m *Message) error
	// RecvMsg receives the next message and gives ownership of it to the
	// caller, who may Free it when done.
	RecvMsg(ctx context.Context) (*Message, error)

	// Dial connects to url. By default it returns at once and a dialer keeps
	// connecting, and reconnecting, in the background; with the DialSync
	// option the first attempt is made before Dial returns, and its failure
	// is returned: Dial with DialSync is DialContext with
	// context.Background(), bounded only by HandshakeTimeout.
	Dial(url string, opts ...EndpointOption) error
	// DialContext connects to url and waits for the first attempt: the
	// connection, then the SP handshake, each bounded by HandshakeTimeout
	// (default 10 s), and both by ctx. On success the dialer goes on as
	// after Dial, reconnecting in the background whenever the pipe is lost
	// (ctx no longer matters). On failure the dialer stops and DialContext
	// returns an *OpError with Op "dial" whose cause matches, with
	// errors.Is: ErrTimeout for a connection or handshake that took too
	// long (ctx's deadline, HandshakeTimeout or the system's connect
	// timeout), context.Canceled when ctx was canceled, ErrConnRefused
	// when nobody listens, ErrNoHost when the host name does not resolve,
	// ErrBadProtocol for a peer of the wrong protocol, ErrBadURL or
	// ErrBadOption for a bad address or option, ErrClosed when the socket
	// closed meanwhile.
	DialContext(ctx context.Context, url string, opts ...EndpointOption) error
	// Listen accepts connections on url and returns the listener, whose
	// Addr (and URL) tell the bound address, such as the port the system
	// chose for tcp://127.0.0.1:0.
	Listen(url string, opts ...EndpointOption) (Listener, error)
	// NewDialer returns a dialer for url that is not started yet, so that
	// options can be set on it before its Dial.
	NewDialer(url string, opts ...EndpointOption) (Dialer, error)
	// NewListener returns a listener for url that is not listening yet.
	NewListener(url string, opts ...EndpointOption) (Listener, error)

	// OpenContext opens a context with its own protocol state, for
	// protocols that have them. Others return ErrNotSupported.
	OpenContext() (Context, error)

	// SetPipeHook sets a function called on pipe events; see PipeHook.
	SetPipeHook(h PipeHook)

	// Stats returns a snapshot of the socket's counters. Counting is
	// always on and costs a few atomic additions per message.
	Stats() SocketStats

	OptionSetter
	OptionGetter

	// WaitPeers blocks until at least n pipes (peers) have joined the
	// socket, ctx ends (the error is ContextError's), or the socket closes
	// (ErrClosed). It wakes when a pipe joins; it does not poll. A pipe has
	// joined once the protocol has it: a pub socket's Send then reaches it.
	WaitPeers(ctx context.Context, n int) error

	// Shutdown is the tidy end: it writes out what Send accepted, then
	// closes the socket as Close does. At once, Send and SendMsg on the
	// socket and its contexts fail with an error wrapping ErrClosed (also
	// those blocked waiting for room: what they held was not accepted), and
	// dialers and listeners stop making new pipes. Then every message that
	// Send accepted and that still waits in the socket (in a pipe's send
	// queue, or a connection's write buffer) is written to the connection;
	// over tcp, ipc, tls and ws the connection is then shut for writing and
	// Shutdown waits for the peer to close its end, which a peer does once
	// it has read everything, so that nothing is lost to a reset. Over
	// inproc the connection itself holds what was sent (up to SendQueueLen
	// messages) and delivers it after the close, so Shutdown does not wait
	// for the peer. Receiving goes on until the close (once the
	// connections are shut for writing, what finds the receive queue full
	// is dropped, as the close would drop it); a peer that has stopped
	// reading (its receive queue full, its application not receiving)
	// holds Shutdown until ctx ends. The protocol packages say what this
	// guarantees for each pattern.
	//
	// ctx bounds it all: if ctx ends first, Shutdown closes as Close does
	// and returns a *ShutdownError whose Err is ContextError(ctx) (a
	// deadline matches ErrTimeout) and whose Dropped counts the messages it
	// had to discard. Messages queued for a pipe that is lost meanwhile are
	// discarded, counted, and reported the same way. A Close during
	// Shutdown makes it return at once (its Err matches ErrClosed). Like
	// Close, Shutdown returns after every goroutine the socket started has
	// exited; after Close it returns nil.
	Shutdown(ctx context.Context) error

	// Close is the hard stop: it closes the socket, its dialers, listeners
	// and pipes at once. Every blocked call returns ErrClosed. Close
	// returns after every goroutine the socket started has exited.
	// Messages still queued in the socket are discarded (Shutdown writes
	// them out first); over inproc, what a pipe's connection holds is still
	// delivered. Close is idempotent.
	Close() error
}

// Context is an independent state machine on a socket, for protocols such as
// req and rep whose state (the outstanding request, the requester to answer)
// would otherwise allow only one exchange at a time. Each context may be used
// from its own goroutine; a Context is safe for concurrent use, but its
// operations on one context are serialized by the protocol's rules.
type Context interface {
	Send(ctx context.Context, b []byte) error
	Recv(ctx context.Context) ([]byte, error)
	SendMsg(ctx context.Context, m *Message) error
	RecvMsg(ctx context.Context) (*Message, error)
	OptionSetter
	OptionGetter
	// Close closes the context; blocked calls on it return ErrClosed.
	Close() error
}

// Dialer connects a socket to one address, reconnecting with exponential
// backoff (ReconnectMin, ReconnectMax) whenever its pipe is lost; a pipe
// that lived less than a second counts as a failed attempt (see
// ReconnectMin).
// A Dialer is safe for concurrent use.
type Dialer interface {
	// Dial starts the dialer. With DialSync set, the first attempt is made
	// before Dial returns and its error is returned (the dialer then
	// stops), as DialContext with context.Background() does.
	Dial() error
	// DialContext starts the dialer and waits for its first attempt,
	// bounded by ctx and HandshakeTimeout, as Socket.DialContext does: on
	// success the dialer goes on reconnecting in the background; on
	// failure it stops and the error is returned.
	DialContext(ctx context.Context) error
	// URL returns the address the dialer connects to.
	URL() string
	OptionSetter
	OptionGetter
	// Close stops the dialer and closes its pipe; it returns once the
	// pipe has left the socket.
	Close() error
}

// Listener accepts connections for a socket on one address.
// A Listener is safe for concurrent use.
type Listener interface {
	// Listen binds the address and starts accepting.
	Listen() error
	// URL returns the address as given, except that once listening on
	// port 0 it shows the port the system chose (tcp://127.0.0.1:0 reads
	// as tcp://127.0.0.1:41327; ws://host:0/path as ws://host:41327/path),
	// as does the endpoint's URL in the socket's Stats.
	URL() string
	// Addr returns the bound address once listening (for tcp, a
	// *net.TCPAddr whose Port is the one chosen for port 0), else nil.
	Addr() net.Addr
	OptionSetter
	OptionGetter
	// Close stops listening and closes the pipes it accepted; it returns
	// once they have left the socket.
	Close() error
}

// Pipe is one connection between a socket and a peer.
// A Pipe is safe for concurrent use.
type Pipe interface {
	// ID returns the pipe's id: positive, 31 bits, and growing through the
	// process's life, so a stale id never reaches a new pipe (ids would
	// wrap only after 2^31-1 pipes).
	ID() uint32
	// LocalAddr and RemoteAddr return the two ends' addresses.
	LocalAddr() net.Addr
	RemoteAddr() net.Addr
	// PeerProtocol returns the peer's protocol id from the handshake.
	PeerProtocol() uint16
	// OptionValue returns a property of the pipe's connection, named by
	// an option of its transport (a tls pipe's peer certificates, say); read
	// it with GetOption. Unknown names return an error wrapping
	// ErrBadOption.
	OptionGetter
	// Close closes the pipe; a dialer that made it reconnects.
	Close() error
}

// PipeEvent says what happened to a pipe.
type PipeEvent int

// Pipe events, in the order a pipe sees them.
const (
	// PipeAdding: the handshake is done and the pipe is about to join the
	// socket. A hook may reject the pipe by returning false.
	PipeAdding PipeEvent = iota
	// PipeAdded: the pipe has joined the socket.
	PipeAdded
	// PipeRemoved: the pipe has left the socket and is closed. It follows
	// PipeAdded; a pipe refused after PipeAdding (by the protocol, such as
	// pair's second peer, or because the socket is closing) sees no other
	// event.
	PipeRemoved
)

// String returns the event's name.
func (e PipeEvent) String() string {
	switch e {
	case PipeAdding:
		return "adding"
	case PipeAdded:
		return "added"
	case PipeRemoved:
		return "removed"
	}
	return "unknown"
}

// PipeHook is called for each pipe event. Its result matters only for
// PipeAdding, where false rejects (closes) the pipe.
//
// A socket calls its hook from one goroutine of its own, one event at a
// time, in the order the events happened. A pipe waits for the hook's
// answer to PipeAdding before it joins (the pipe is rejected if the socket,
// or its dialer or listener, closes meanwhile), but not for PipeAdded or
// PipeRemoved: it may carry messages before the hook hears that it was
// added. A slow hook delays the events after it, and the pipes waiting to
// join.
//
// The hook may do anything, including closing the pipe, its dialer or
// listener, or the socket (Close or Shutdown): nothing those wait for
// waits for the hook. Close returns once the hook has been told of every
// event, each pipe's PipeRemoved included, except when the hook itself
// calls Close: Close then returns without waiting for the hook (which
// cannot return first), and the events after that call are delivered once
// it returns.
type PipeHook func(ev PipeEvent, p Pipe) bool
