package ws

import (
	"crypto/tls"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/stream"
)

// NewListener implements sp.Transport. The listener's Addr is the bound
// *net.TCPAddr, or, mounted on a ServeMux, an address naming the path.
func (Transport) NewListener(addr string, cfg sp.TransportConfig) (sp.TransportListener, error) {
	a, err := parse(addr, true)
	if err != nil {
		return nil, err
	}
	return &listener{
		addr:   a,
		opts:   options{cfg},
		accept: make(chan sp.TransportConn),
		closed: make(chan struct{}),
	}, nil
}

// listener serves one path: upgrades the requests for it and hands the
// connections to Accept.
type listener struct {
	addr   *address
	opts   options
	accept chan sp.TransportConn
	closed chan struct{}

	mu       sync.Mutex
	started  bool
	isClosed bool
	up       websocket.Upgrader
	respHdr  http.Header
	peer     uint16
	want     string  // the subprotocol clients must ask for
	srv      *server // the shared server, when bound
	mount    *mount  // the mount point, when on a ServeMux
}

// Listen implements sp.TransportListener.
func (l *listener) Listen() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case l.isClosed:
		return sp.ErrClosed
	case l.started:
		return fmt.Errorf("%w: ws: already listening", sp.ErrBadState)
	}
	info := l.opts.cfg.Protocol()
	frame := l.opts.frameSize()
	l.peer, l.want = info.Peer, Subprotocol(info.SelfName)
	l.up = websocket.Upgrader{
		HandshakeTimeout: get(l.opts, sp.HandshakeTimeout),
		ReadBufferSize:   readBufferSize,
		WriteBufferSize:  frame,
		Subprotocols:     []string{l.want},
		CheckOrigin:      get(l.opts, CheckOrigin),
	}
	if h := get(l.opts, ResponseHeader); h != nil {
		l.respHdr = h.Clone()
	}
	var err error
	if mux := get(l.opts, ServeMux); mux != nil {
		l.mount, err = mountOn(mux, l)
	} else {
		l.srv, err = serve(l)
	}
	if err != nil {
		return err
	}
	l.started = true
	return nil
}

// ServeHTTP upgrades a request for the listener's path.
func (l *listener) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	select {
	case <-l.closed:
		http.NotFound(w, r)
		return
	default:
	}
	if websocket.IsWebSocketUpgrade(r) && !slices.Contains(websocket.Subprotocols(r), l.want) {
		http.Error(w, fmt.Sprintf("sp: this socket serves WebSocket subprotocol %q, asked for %q",
			l.want, r.Header.Get("Sec-WebSocket-Protocol")), http.StatusBadRequest)
		l.report(r, nil) // a peer of the wrong protocol
		return
	}
	ws, err := l.up.Upgrade(w, r, l.respHdr)
	if err != nil {
		// gorilla has answered with an HTTP error
		l.report(r, upgradeError(err))
		return
	}
	// The server may have left a deadline from reading the request.
	_ = ws.NetConn().SetDeadline(time.Time{})
	c := newConn(ws, l.peer, l.up.WriteBufferSize)
	c.req = r
	select {
	case l.accept <- c:
	case <-l.closed:
		c.Close()
	}
}

// Accept implements sp.TransportListener.
func (l *listener) Accept() (sp.TransportConn, error) {
	select {
	case c := <-l.accept:
		return c, nil
	case <-l.closed:
		return nil, sp.ErrClosed
	}
}

// Addr implements sp.TransportListener.
func (l *listener) Addr() net.Addr {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case l.srv != nil:
		return l.srv.ln.Addr()
	case l.mount != nil:
		return mountAddr(l.addr.path)
	}
	return nil
}

// Close implements sp.TransportListener.
func (l *listener) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.isClosed {
		return nil
	}
	l.isClosed = true
	close(l.closed)
	if l.srv != nil {
		l.srv.remove(l)
	}
	if l.mount != nil {
		l.mount.l.CompareAndSwap(l, nil)
	}
	return nil
}

// servers holds the HTTP servers that listeners share, by bound host:port.
var servers struct {
	sync.Mutex
	m map[string]*server
}

// server is an HTTP server on one host:port, shared by the listeners of
// several paths; it stops when the last of them closes.
type server struct {
	key    string
	secure bool
	ln     net.Listener
	http   *http.Server
	done   chan struct{} // closed when Serve has returned

	mu    sync.RWMutex
	paths map[string]*listener
}

// serve adds l to the server on its host:port, starting one if none runs.
func serve(l *listener) (*server, error) {
	servers.Lock()
	defer servers.Unlock()
	s := servers.m[l.addr.hostport]
	if s == nil {
		var err error
		if s, err = newServer(l); err != nil {
			return nil, err
		}
	} else if s.secure != l.addr.secure {
		return nil, fmt.Errorf("%w: ws: %s already serves %s, it cannot serve %s too",
			sp.ErrAddrInUse, s.key, scheme(s.secure), scheme(l.addr.secure))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.paths[l.addr.path]; dup {
		return nil, fmt.Errorf("%w: ws: %s already serves path %q", sp.ErrAddrInUse, s.key, l.addr.path)
	}
	s.paths[l.addr.path] = l
	return s, nil
}

func scheme(secure bool) string {
	if secure {
		return "wss"
	}
	return "ws"
}

// newServer binds l's host:port and starts serving it; servers is locked.
func newServer(l *listener) (*server, error) {
	var tc *tls.Config
	if l.addr.secure {
		var err error
		if tc, err = l.opts.tlsConfig(true); err != nil {
			return nil, err
		}
	}
	ln, err := net.Listen("tcp", l.addr.hostport)
	if err != nil {
		return nil, stream.ListenError(err)
	}
	host, _, _ := net.SplitHostPort(l.addr.hostport)
	s := &server{
		key:    net.JoinHostPort(host, fmt.Sprint(ln.Addr().(*net.TCPAddr).Port)),
		secure: l.addr.secure,
		ln:     ln,
		done:   make(chan struct{}),
		paths:  make(map[string]*listener),
	}
	s.http = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: get(l.opts, sp.HandshakeTimeout),
		TLSNextProto:      map[string]func(*http.Server, *tls.Conn, http.Handler){}, // no HTTP/2
		ErrorLog:          log.New(io.Discard, "", 0),
	}
	if tc != nil {
		ln = tls.NewListener(ln, tc)
	}
	go func() {
		defer close(s.done)
		_ = s.http.Serve(ln)
	}()
	if servers.m == nil {
		servers.m = make(map[string]*server)
	}
	servers.m[s.key] = s
	return s, nil
}

// ServeHTTP routes a request to the listener of its path.
func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.RLock()
	l := s.paths[r.URL.Path]
	s.mu.RUnlock()
	if l == nil {
		http.NotFound(w, r)
		return
	}
	l.ServeHTTP(w, r)
}

// remove takes l off the server, and stops the server if l was the last.
func (s *server) remove(l *listener) {
	servers.Lock()
	s.mu.Lock()
	if s.paths[l.addr.path] == l {
		delete(s.paths, l.addr.path)
	}
	last := len(s.paths) == 0
	s.mu.Unlock()
	if last && servers.m[s.key] == s {
		delete(servers.m, s.key)
		s.ln.Close() // now, so that a new listener may bind the port at once
	}
	servers.Unlock()
	if last {
		s.http.Close()
		<-s.done
	}
}

// mounts holds the mount points of listeners on application ServeMuxes: a
// ServeMux cannot forget a pattern, so the mount point outlives its listener
// and serves the next one to listen on the same mux and path.
var mounts struct {
	sync.Mutex
	m map[mountKey]*mount
}

type mountKey struct {
	mux  *http.ServeMux
	path string
}

type mount struct{ l atomic.Pointer[listener] }

// ServeHTTP hands the request to the mount's listener, or answers 404.
func (m *mount) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if l := m.l.Load(); l != nil {
		l.ServeHTTP(w, r)
		return
	}
	http.NotFound(w, r)
}

// mountOn registers l's path on mux, exactly (a path ending in "/" gets
// {$}, so that it does not match a subtree).
func mountOn(mux *http.ServeMux, l *listener) (_ *mount, err error) {
	path := l.addr.path
	if strings.ContainsAny(path, "{}") {
		return nil, fmt.Errorf("%w: ws: a path on a ServeMux cannot contain { or }: %q", sp.ErrBadURL, path)
	}
	mounts.Lock()
	defer mounts.Unlock()
	k := mountKey{mux, path}
	m := mounts.m[k]
	if m == nil {
		pattern := path
		if strings.HasSuffix(pattern, "/") {
			pattern += "{$}"
		}
		defer func() {
			if p := recover(); p != nil {
				err = fmt.Errorf("%w: ws: cannot register %q on the ServeMux: %v", sp.ErrAddrInUse, pattern, p)
			}
		}()
		m = &mount{}
		mux.Handle(pattern, m)
		if mounts.m == nil {
			mounts.m = make(map[mountKey]*mount)
		}
		mounts.m[k] = m
	}
	if !m.l.CompareAndSwap(nil, l) {
		return nil, fmt.Errorf("%w: ws: another listener serves %q on this ServeMux", sp.ErrAddrInUse, path)
	}
	return m, nil
}

// mountAddr is the Addr of a listener mounted on a ServeMux: its path.
type mountAddr string

func (mountAddr) Network() string  { return "ws" }
func (a mountAddr) String() string { return string(a) }
