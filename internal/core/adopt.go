package core

import (
	"context"
	"fmt"
	"net"
	"strings"

	"github.com/spgo/sp"
)

// ListenOn implements sp.Socket: it asks the transport that serves l's
// network to adopt l (sp.ListenerAdopter), and starts a listener on it.
func (s *Socket) ListenOn(l net.Listener, opts ...sp.EndpointOption) (sp.Listener, error) {
	if l == nil || l.Addr() == nil {
		return nil, &sp.OpError{Op: "listen", Err: fmt.Errorf("%w: ListenOn needs a bound listener", sp.ErrBadState)}
	}
	addr := l.Addr()
	scheme := sp.ListenerScheme(addr.Network())
	url := adoptedURL(scheme, addr)
	a, ok := sp.LookupTransport(scheme).(sp.ListenerAdopter)
	if scheme == "" || !ok {
		return nil, &sp.OpError{Op: "listen", URL: url, Err: fmt.Errorf(
			"%w: no transport adopts %s listeners (want tcp or unix)", sp.ErrNotSupported, addr.Network())}
	}
	nl := &listener{}
	if err := nl.init(s, "listener", url, opts); err != nil {
		return nil, &sp.OpError{Op: "listen", URL: url, Err: err}
	}
	tl, err := a.AdoptListener(l, config{s.info, nl.opts})
	if err != nil {
		nl.cancel()
		return nil, &sp.OpError{Op: "listen", URL: url, Err: err}
	}
	nl.tran = tl
	if err := nl.start("listen", nl); err != nil {
		nl.cancel()
		return nil, err // l is still the caller's: tl never listened
	}
	if err := tl.Listen(); err != nil {
		close(nl.done)
		s.wg.Done()
		nl.closeEndpoint(nl)
		return nil, &sp.OpError{Op: "listen", URL: url, Err: err}
	}
	go nl.run()
	return nl, nil
}

// adoptedURL names an adopted listener's address in the scheme of its
// transport: tcp://127.0.0.1:5555, ipc:///run/app.sock, abstract://name.
func adoptedURL(scheme string, a net.Addr) string {
	s := a.String()
	switch {
	case scheme == "ipc" && strings.HasPrefix(s, "@"):
		return "abstract://" + s[1:]
	case scheme == "":
		return a.Network() + "://" + s
	}
	return scheme + "://" + s
}

// adopter is the endpoint of the pipes AddConn makes: it has no goroutine
// of its own, and lives as long as the socket.
type adopter struct {
	epBase
}

func (a *adopter) stop() { a.cancel() }

// adopted returns the socket's adopter, making it on first use.
func (s *Socket) adopted() (*adopter, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || s.stopping.Load() {
		return nil, sp.ErrClosed
	}
	if s.adopt != nil {
		return s.adopt, nil
	}
	a := &adopter{}
	if err := a.init(s, "listener", sp.AdoptedURL, nil); err != nil {
		return nil, err
	}
	s.adopt = a
	s.endpoints[a] = struct{}{}
	return a, nil
}

// AddConn implements sp.Socket: it asks the tcp transport to adopt c
// (sp.ConnAdopter), runs the handshake and adds the pipe.
func (s *Socket) AddConn(c net.Conn) (sp.Pipe, error) {
	fail := func(err error) (sp.Pipe, error) {
		c.Close()
		return nil, &sp.OpError{Op: "add", URL: sp.AdoptedURL, Err: err}
	}
	a, ok := sp.LookupTransport("tcp").(sp.ConnAdopter)
	if !ok {
		return fail(fmt.Errorf("%w: the tcp transport does not adopt connections", sp.ErrNotSupported))
	}
	ep, err := s.adopted()
	if err != nil {
		return fail(err)
	}
	conn, err := a.AdoptConn(c, config{s.info, ep.opts})
	if err != nil {
		return fail(err)
	}
	p, err := ep.handshake(context.Background(), conn, ep)
	if err != nil {
		return nil, &sp.OpError{Op: "add", URL: sp.AdoptedURL, Err: err}
	}
	return p, nil
}
