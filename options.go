package sp

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Option names an option whose values have type T. The type parameter makes
// SetOption and GetOption type-checked at compile time:
//
//	err := sp.SetOption(s, sp.RecvTimeout, 2*time.Second)
//	n, err := sp.GetOption(s, sp.RecvMaxSize)
//
// Options of the root package apply to every socket; a protocol or transport
// package declares its own (req.ResendTime, for example).
type Option[T any] struct{ name string }

// NewOption declares an option. Names are unique across packages; a protocol
// or transport package prefixes them with its own name.
func NewOption[T any](name string) Option[T] { return Option[T]{name: name} }

// Name returns the option's name, as used in errors and by SetOptionValue.
func (o Option[T]) Name() string { return o.name }

// SetOption sets option o of s (a Socket, Dialer, Listener or Context) to v.
func SetOption[T any](s OptionSetter, o Option[T], v T) error {
	return s.SetOptionValue(o.name, v)
}

// GetOption returns the value of option o of s.
func GetOption[T any](s OptionGetter, o Option[T]) (T, error) {
	var zero T
	v, err := s.OptionValue(o.name)
	if err != nil {
		return zero, err
	}
	t, ok := v.(T)
	if !ok {
		return zero, fmt.Errorf("%w: %s holds %T, not %T", ErrBadOption, o.name, v, zero)
	}
	return t, nil
}

// EndpointOption sets an option on a dialer or listener as it is made, for
// Socket.Dial, Listen, NewDialer and NewListener.
type EndpointOption struct {
	name  string
	value any
}

// With returns an EndpointOption that sets o to v.
func With[T any](o Option[T], v T) EndpointOption { return EndpointOption{o.name, v} }

// Apply sets the option on s.
func (e EndpointOption) Apply(s OptionSetter) error { return s.SetOptionValue(e.name, e.value) }

// Options every socket has. Those marked "endpoint" may also be set on a
// Dialer or Listener, overriding the socket's value for it; a dialer or
// listener without its own value uses the socket's current one. The others
// (and a protocol's options, such as req.ResendTime) belong to the socket:
// setting one on a dialer or listener fails with an error wrapping
// ErrBadOption that says so, as does DialSync anywhere but on a dialer, and
// ReconnectMin or ReconnectMax on a listener.
var (
	// SendTimeout bounds how long Send blocks; 0 (the default) means no
	// bound beyond the caller's context.
	SendTimeout = NewOption[time.Duration]("send-timeout")
	// RecvTimeout bounds how long Recv blocks; 0 (the default) means no
	// bound beyond the caller's context.
	RecvTimeout = NewOption[time.Duration]("recv-timeout")
	// SendQueueLen is the number of messages queued for each pipe before
	// the protocol's rule for a full queue applies (default 128, 1..8192). It
	// applies to pipes made after it is set.
	SendQueueLen = NewOption[int]("send-queue-len")
	// RecvQueueLen is the number of received messages the socket queues
	// for Recv (default 128, 1..8192).
	RecvQueueLen = NewOption[int]("recv-queue-len")
	// RecvMaxSize is the largest message, header included, a pipe accepts
	// (default 1 MiB; 0 means no limit). A larger message closes its pipe,
	// and nothing is allocated for it. Endpoint.
	RecvMaxSize = NewOption[int]("recv-max-size")
	// ReconnectMin is the first wait before a dialer retries (default
	// 100 ms). Each failure doubles it, up to ReconnectMax, with jitter. A
	// pipe lost less than a second after it connected counts as a failure
	// too (a peer that closes at once, say because our messages exceed its
	// RecvMaxSize, is not redialed every ReconnectMin); the loss of a pipe
	// that lived longer starts the waits again from ReconnectMin. Dialer
	// or socket (a listener does not reconnect: setting it there fails).
	ReconnectMin = NewOption[time.Duration]("reconnect-min")
	// ReconnectMax caps the wait between a dialer's attempts (default
	// 10 s). Dialer or socket, as ReconnectMin.
	ReconnectMax = NewOption[time.Duration]("reconnect-max")
	// HandshakeTimeout bounds the SP handshake of a new connection
	// (default 10 s). A dialer's attempt to connect is bounded by it too,
	// and so, with DialSync, is how long Dial may block: up to
	// HandshakeTimeout to connect and as long again for the handshake (use
	// DialContext for a bound of your own). Endpoint.
	HandshakeTimeout = NewOption[time.Duration]("handshake-timeout")
	// MaxTTL is the largest number of hops (devices, backtrace entries) a
	// message may cross before it is dropped (default 8, 1..255).
	MaxTTL = NewOption[int]("max-ttl")
	// TCPNoDelay disables Nagle's algorithm on tcp connections (default
	// true). Endpoint.
	TCPNoDelay = NewOption[bool]("tcp-nodelay")
	// TCPKeepAlive is the keep-alive period of tcp connections (default
	// 15 s, as in package net; 0 disables keep-alives). Endpoint.
	TCPKeepAlive = NewOption[time.Duration]("tcp-keepalive")
	// TLSConfig is the TLS configuration of the tls+tcp and wss transports
	// (certificates, client authentication, CA pool, server name). A
	// listener needs one with a certificate; a dialer without one verifies
	// the server against the system's roots. Endpoint; default nil.
	TLSConfig = NewOption[*tls.Config]("tls-config")
	// DialSync, set on a dialer, makes its first attempt happen before
	// Dial returns, so that a bad or unreachable address fails fast. The
	// attempt is bounded only by HandshakeTimeout (for the connection and
	// again for the handshake); Socket.DialContext is the same with a
	// context of your own. Dialer only (not a socket or listener option);
	// default false.
	DialSync = NewOption[bool]("dial-sync")
	// Logger receives the socket's log records: connects, disconnects and
	// why, handshake failures, rejected peers. The default, nil, is silent.
	Logger = NewOption[*slog.Logger]("logger")
	// Raw reports whether the socket is raw: made by a protocol's
	// NewRawSocket, it keeps protocol headers in Message.Header for the
	// application (a device, say) and applies none of the protocol's
	// state. Read-only.
	Raw = NewOption[bool]("raw")
	// SocketName names the socket in its log records (default "").
	SocketName = NewOption[string]("socket-name")
)

// WithDialSync is shorthand for With(DialSync, true): Dial then makes its
// first attempt before it returns, bounded by HandshakeTimeout (default
// 10 s) for the connection and again for the SP handshake, and returns its
// error. For a bound of your own, use Socket.DialContext.
func WithDialSync() EndpointOption { return With(DialSync, true) }

// registered holds the options of transports and other pluggable parts,
// which every socket, dialer and listener accepts.
var registered struct {
	sync.RWMutex
	m map[string]registeredOption
}

type registeredOption struct {
	def   any
	check func(any) error
}

// RegisterOption declares an option of a pluggable part, usually a
// transport (the tls transport's configuration, say): every socket, dialer
// and listener then accepts it, checks its values with check (nil for no
// check beyond the type) and reports def until it is set. Call it from an
// init function; registering a name twice replaces the first.
func RegisterOption[T any](o Option[T], def T, check func(T) error) {
	registered.Lock()
	defer registered.Unlock()
	if registered.m == nil {
		registered.m = make(map[string]registeredOption)
	}
	registered.m[o.name] = registeredOption{def: def, check: func(v any) error {
		t, ok := v.(T)
		if !ok {
			return fmt.Errorf("%w: %s takes a %T, not %T", ErrBadOption, o.name, def, v)
		}
		if check != nil {
			if err := check(t); err != nil {
				return fmt.Errorf("%w: %s: %w", ErrBadOption, o.name, err)
			}
		}
		return nil
	}}
}

// LookupOption returns the default and the check of an option registered
// with RegisterOption. It is for socket engines.
func LookupOption(name string) (def any, check func(any) error, ok bool) {
	registered.RLock()
	defer registered.RUnlock()
	r, ok := registered.m[name]
	return r.def, r.check, ok
}
