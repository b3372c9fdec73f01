package pair1

import (
	"fmt"
	"sync"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/core"
)

// Polyamorous makes a pair1 socket polyamorous: it keeps many peers at once
// instead of one. It can be set only before the socket's first Dial, Listen,
// NewDialer or NewListener; after that, setting it fails with an error
// wrapping sp.ErrBadState. Default false. NewPolySocket returns a socket
// with it already set.
var Polyamorous = sp.NewOption[bool]("pair1:polyamorous")

// socket is a core socket that notices its first Dial or Listen, after which
// Polyamorous is fixed.
type socket struct {
	*core.Socket
	mu      sync.Mutex
	started bool
}

func newSocket(p *pair1) *socket { return &socket{Socket: core.NewSocket(p)} }

// SetOptionValue implements sp.OptionSetter.
func (s *socket) SetOptionValue(name string, v any) error {
	if name != Polyamorous.Name() {
		return s.Socket.SetOptionValue(name, v)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started {
		return fmt.Errorf("%w: %s can only be set before the first Dial or Listen", sp.ErrBadState, name)
	}
	return s.Socket.SetOptionValue(name, v)
}

func (s *socket) start() {
	s.mu.Lock()
	s.started = true
	s.mu.Unlock()
}

// Dial implements sp.Socket.
func (s *socket) Dial(url string, opts ...sp.EndpointOption) error {
	s.start()
	return s.Socket.Dial(url, opts...)
}

// Listen implements sp.Socket.
func (s *socket) Listen(url string, opts ...sp.EndpointOption) error {
	s.start()
	return s.Socket.Listen(url, opts...)
}

// NewDialer implements sp.Socket.
func (s *socket) NewDialer(url string, opts ...sp.EndpointOption) (sp.Dialer, error) {
	s.start()
	return s.Socket.NewDialer(url, opts...)
}

// NewListener implements sp.Socket.
func (s *socket) NewListener(url string, opts ...sp.EndpointOption) (sp.Listener, error) {
	s.start()
	return s.Socket.NewListener(url, opts...)
}
