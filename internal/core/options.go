package core

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/spgo/sp"
)

// scope says where an option may be set.
type scope int

const (
	// scopeSocket: on the socket only.
	scopeSocket scope = iota
	// scopeEndpoint: on dialers and listeners, and on the socket as their
	// default.
	scopeEndpoint
	// scopeDialer: on dialers only (sp.DialSync).
	scopeDialer
	// scopeDialers: on dialers, and on the socket as their default; not
	// on listeners, which do not dial (sp.ReconnectMin, ReconnectMax).
	scopeDialers
)

type optSpec struct {
	def   any
	check func(any) error
	apply func(any)
	scope scope
	proto string // the protocol that defined it, "" for the common options
}

// Options holds the option values of a socket, or of a dialer or listener,
// which inherit unset values from their socket's. It is safe for concurrent
// use.
type Options struct {
	mu     sync.RWMutex
	specs  map[string]*optSpec // shared with the parent
	vals   map[string]any
	parent *Options
	kind   string // "socket", "dialer" or "listener"
	proto  string // the socket's protocol name, once its common options are defined
}

func newOptions() *Options {
	return &Options{specs: make(map[string]*optSpec), vals: make(map[string]any), kind: "socket"}
}

// child returns options for an endpoint of the socket; kind is "dialer" or
// "listener".
func (o *Options) child(kind string) *Options {
	return &Options{specs: o.specs, vals: make(map[string]any), parent: o, kind: kind, proto: o.proto}
}

// Define declares option opt with its default, a check of new values (nil
// for none) and, for socket-wide use, a function called with every value set
// (nil for none). An endpoint option may also be set on dialers and
// listeners. Define must be called before the options are shared.
func Define[T any](o *Options, opt sp.Option[T], def T, check func(T) error, endpoint bool, apply func(T)) {
	s := &optSpec{def: def, proto: o.proto}
	if endpoint {
		s.scope = scopeEndpoint
	}
	s.check = func(v any) error {
		t, ok := v.(T)
		if !ok {
			return fmt.Errorf("%w: %s takes a %T, not %T", sp.ErrBadOption, opt.Name(), def, v)
		}
		if check != nil {
			if err := check(t); err != nil {
				return fmt.Errorf("%w: %s: %w", sp.ErrBadOption, opt.Name(), err)
			}
		}
		return nil
	}
	if apply != nil {
		s.apply = func(v any) { apply(v.(T)) }
		apply(def)
	}
	o.specs[opt.Name()] = s
}

// spec returns the definition of name, from the socket's own options or
// from those registered with sp.RegisterOption (always endpoint options).
func (o *Options) spec(name string) (*optSpec, bool) {
	if s, ok := o.specs[name]; ok {
		return s, true
	}
	if def, check, ok := sp.LookupOption(name); ok {
		return &optSpec{def: def, check: check, scope: scopeEndpoint}, true
	}
	return nil, false
}

// lookup returns the definition of name if the option may be used here,
// else an error wrapping sp.ErrBadOption that says where it belongs. The
// message is made only on the error path.
func (o *Options) lookup(name string) (*optSpec, error) {
	s, ok := o.spec(name)
	switch {
	case !ok:
		return nil, o.unknown(name)
	case o.parent != nil && s.scope == scopeSocket && s.proto != "":
		return nil, fmt.Errorf("%w: %s is an option of %s sockets: set it on the socket with sp.SetOption, not on a %s",
			sp.ErrBadOption, name, s.proto, o.kind)
	case o.parent != nil && s.scope == scopeSocket:
		return nil, fmt.Errorf("%w: %s is a socket option: set it on the socket with sp.SetOption, not on a %s",
			sp.ErrBadOption, name, o.kind)
	case s.scope == scopeDialer && o.kind != "dialer":
		return nil, fmt.Errorf("%w: %s is a dialer option: pass it to Dial or NewDialer (sp.With), not to a %s",
			sp.ErrBadOption, name, o.kind)
	case s.scope == scopeDialers && o.kind == "listener":
		return nil, fmt.Errorf("%w: %s is a dialer option (a listener does not reconnect): pass it to Dial or NewDialer, or set it on the socket",
			sp.ErrBadOption, name)
	}
	return s, nil
}

// unknown explains an option name that nothing here defines.
func (o *Options) unknown(name string) error {
	if owner, _, ok := strings.Cut(name, ":"); ok && owner != o.proto && o.proto != "" {
		return fmt.Errorf("%w: %s is not an option of %s sockets", sp.ErrBadOption, name, o.proto)
	}
	where := "a " + o.proto + " socket"
	if o.parent != nil {
		where = "a " + o.kind + " of " + where
	}
	return fmt.Errorf("%w: unknown option %q for %s", sp.ErrBadOption, name, where)
}

// SetOptionValue implements sp.OptionSetter.
func (o *Options) SetOptionValue(name string, v any) error {
	s, err := o.lookup(name)
	if err != nil {
		return err
	}
	if err := s.check(v); err != nil {
		return err
	}
	o.mu.Lock()
	o.vals[name] = v
	if s.apply != nil && o.parent == nil {
		s.apply(v)
	}
	o.mu.Unlock()
	return nil
}

// OptionValue implements sp.OptionGetter.
func (o *Options) OptionValue(name string) (any, error) {
	s, err := o.lookup(name)
	if err != nil {
		return nil, err
	}
	return o.value(name, s), nil
}

// value returns the value of name, defined by s, from o or its parent.
func (o *Options) value(name string, s *optSpec) any {
	o.mu.RLock()
	v, ok := o.vals[name]
	o.mu.RUnlock()
	if ok {
		return v
	}
	if o.parent != nil {
		return o.parent.value(name, s)
	}
	return s.def
}

// Get returns the value of opt, which must be defined.
func Get[T any](o *Options, opt sp.Option[T]) T {
	v, err := o.OptionValue(opt.Name())
	if err != nil {
		panic("sp: internal error: " + err.Error())
	}
	return v.(T)
}

func atLeast[T int | time.Duration](min T) func(T) error {
	return func(v T) error {
		if v < min {
			return fmt.Errorf("%v is below %v", v, min)
		}
		return nil
	}
}

func inRange(lo, hi int) func(int) error {
	return func(v int) error {
		if v < lo || v > hi {
			return fmt.Errorf("%d is outside %d..%d", v, lo, hi)
		}
		return nil
	}
}

// defineCommon declares the options every socket has.
func (s *Socket) defineCommon() {
	o := s.opts
	Define(o, sp.SendTimeout, 0, atLeast(time.Duration(0)), false, func(v time.Duration) { s.sendTimeout.Store(int64(v)) })
	Define(o, sp.RecvTimeout, 0, atLeast(time.Duration(0)), false, func(v time.Duration) { s.recvTimeout.Store(int64(v)) })
	Define(o, sp.SendQueueLen, 128, inRange(1, 8192), false, nil)
	Define(o, sp.RecvQueueLen, 128, inRange(1, 8192), false, func(v int) {
		if s.RecvQ != nil {
			s.RecvQ.SetLimit(v)
		}
	})
	Define(o, sp.RecvMaxSize, 1<<20, atLeast(0), true, nil)
	Define(o, sp.ReconnectMin, 100*time.Millisecond, atLeast(time.Millisecond), true, nil)
	Define(o, sp.ReconnectMax, 10*time.Second, atLeast(time.Duration(0)), true, nil)
	Define(o, sp.HandshakeTimeout, 10*time.Second, atLeast(time.Millisecond), true, nil)
	Define(o, sp.MaxTTL, 8, inRange(1, 255), false, func(v int) { s.maxTTL.Store(int32(v)) })
	Define(o, sp.TCPNoDelay, true, nil, true, nil)
	Define(o, sp.TCPKeepAlive, 15*time.Second, atLeast(time.Duration(0)), true, nil)
	Define(o, sp.DialSync, false, nil, true, nil)
	o.specs[sp.DialSync.Name()].scope = scopeDialer
	o.specs[sp.ReconnectMin.Name()].scope = scopeDialers
	o.specs[sp.ReconnectMax.Name()].scope = scopeDialers
	Define(o, sp.TLSConfig, (*tls.Config)(nil), nil, true, nil)
	Define(o, sp.Logger, (*slog.Logger)(nil), nil, false, func(l *slog.Logger) { s.log.Store(l) })
	Define(o, sp.SocketName, "", nil, false, nil)
	DefineReadOnly(o, sp.Raw, false)
	o.proto = s.info.SelfName // what the protocol defines next is its own
}

// DefineReadOnly declares an option whose value is fixed at v.
func DefineReadOnly[T any](o *Options, opt sp.Option[T], v T) {
	Define(o, opt, v, func(T) error { return fmt.Errorf("read-only") }, false, nil)
}
