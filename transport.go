package sp

import (
	"context"
	"fmt"
	"net"
	"sort"
	"strings"
	"sync"
	"time"
)

// Transport moves messages over one kind of connection, named by a URL scheme
// (tcp, ipc, inproc, ...). The built-in transports are always registered; a
// third party registers its own with RegisterTransport.
//
// A transport only turns bytes into messages and back over one connection and
// performs the connection's handshake: the socket engine owns reconnects,
// queues and goroutines.
type Transport interface {
	// Schemes returns the URL schemes the transport serves, such as
	// ["ipc", "unix"].
	Schemes() []string
	// NewDialer checks the address (the whole URL, scheme included) and
	// returns a dialer for it. A bad address returns an error wrapping
	// ErrBadURL that says what is wrong.
	NewDialer(addr string, cfg TransportConfig) (TransportDialer, error)
	// NewListener checks the address and returns a listener for it, not
	// yet bound.
	NewListener(addr string, cfg TransportConfig) (TransportListener, error)
}

// TransportConfig is what a transport learns from the socket: the protocols
// and the current option values of the dialer or listener.
type TransportConfig interface {
	// Protocol returns the socket's protocol and its peer's.
	Protocol() ProtocolInfo
	OptionGetter
}

// TransportDialer makes outgoing connections to one address.
type TransportDialer interface {
	// Dial connects. The returned connection has not done its handshake.
	Dial(ctx context.Context) (TransportConn, error)
}

// TransportListener accepts connections on one address.
type TransportListener interface {
	// Listen binds the address.
	Listen() error
	// Accept waits for the next connection; its handshake is not done yet.
	// After Close it returns an error wrapping ErrClosed.
	Accept() (TransportConn, error)
	// Addr returns the bound address, or nil before Listen.
	Addr() net.Addr
	// Close stops listening and unblocks Accept.
	Close() error
}

// TransportConn is one connection. A connection with properties to show
// (the peer's credentials or certificates, say) also implements
// OptionGetter; Pipe.OptionValue asks it. The engine calls Handshake once;
// then Recv from one goroutine at a time (the pipe's reader, or a receiver
// holding the read role of a ResumableConn), and Send and Flush (or a
// DirectSender's SendNow) from one goroutine at a time, never Recv's; Close
// may be called at any time from any goroutine and unblocks the others.
//
// A connection may have optional capabilities that make the engine faster
// or Shutdown exact (BufferedConn, DirectSender, HalfCloser, SentCounter,
// ResumableConn and more, listed at ConnAs); each is an interface the
// connection implements, and a wrapper keeps them with ConnUnwrapper.
type TransportConn interface {
	// Handshake exchanges protocol ids with the peer, giving up at the
	// deadline. It does not judge the peer's protocol; the engine does.
	Handshake(deadline time.Time) error
	// PeerProtocol returns the peer's protocol id, after Handshake.
	PeerProtocol() uint16
	// Send queues m for writing (header, then body) and takes ownership of
	// it. It may buffer; Flush writes out what is buffered.
	Send(m *Message) error
	// Flush writes out buffered messages.
	Flush() error
	// Recv returns the next message, its header and body together in Body,
	// and gives ownership of it to the engine. A message larger than
	// maxSize (0: no limit) fails with an error wrapping ErrTooLarge
	// before anything is allocated for it. Once Close has been called,
	// Recv must not wait: it returns what the connection still holds, if
	// anything, and then an error; the engine reads a closed connection so
	// to free what it held.
	Recv(maxSize int) (*Message, error)
	LocalAddr() net.Addr
	RemoteAddr() net.Addr
	// Close closes the connection.
	Close() error
}

var transports struct {
	sync.RWMutex
	m map[string]Transport
}

// RegisterTransport makes t serve its schemes, replacing any transport that
// served them before. It is safe to call at any time, usually from an init
// function.
func RegisterTransport(t Transport) {
	transports.Lock()
	defer transports.Unlock()
	if transports.m == nil {
		transports.m = make(map[string]Transport)
	}
	for _, s := range t.Schemes() {
		transports.m[s] = t
	}
}

// LookupTransport returns the transport for a URL scheme, or nil.
func LookupTransport(scheme string) Transport {
	transports.RLock()
	defer transports.RUnlock()
	return transports.m[scheme]
}

// TransportSchemes returns the registered schemes, sorted.
func TransportSchemes() []string {
	transports.RLock()
	defer transports.RUnlock()
	s := make([]string, 0, len(transports.m))
	for k := range transports.m {
		s = append(s, k)
	}
	sort.Strings(s)
	return s
}

// FindTransport returns the transport that serves addr's scheme. Errors
// wrap ErrBadURL and say what is wrong.
func FindTransport(addr string) (Transport, error) {
	i := strings.Index(addr, "://")
	if i <= 0 {
		return nil, fmt.Errorf("%w: %q has no scheme (want e.g. tcp://host:port)", ErrBadURL, addr)
	}
	scheme := addr[:i]
	t := LookupTransport(scheme)
	if t == nil {
		return nil, fmt.Errorf("%w: unknown transport %q in %q (have %s)", ErrBadURL, scheme, addr,
			strings.Join(TransportSchemes(), ", "))
	}
	return t, nil
}
