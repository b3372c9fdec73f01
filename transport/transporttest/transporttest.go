// Package transporttest is the conformance suite every sp transport must
// pass, in the manner of golang.org/x/net/nettest: a transport's tests
// describe it with a Config and call Run.
//
//	func TestConformance(t *testing.T) {
//		transporttest.Run(t, transporttest.Config{
//			Addr:     func(testing.TB) string { return "tcp://127.0.0.1:0" },
//			DialAddr: transporttest.BoundTCP,
//			Refused:  freedPort, // tcp://127.0.0.1:<a port just closed>
//			BadURLs:  []transporttest.BadURL{{URL: "tcp://host:99999", Reason: "port"}},
//			Stream:   &transporttest.Stream{Dial: rawTCPDial},
//		})
//	}
//
// Exchange is the quick check of one more address form once Run passes.
//
// The suite drives real sp sockets (pair, push/pull, bus) over the
// transport: exchanges both ways, order, 16 MiB messages, the receive
// limit, refused dials, peers of the wrong protocol, close while blocked,
// peers that go away, listener restarts, many pipes at once, addresses in
// use and bad URLs; and, for stream transports, raw peers that claim huge
// frames or botch the SP handshake. Datagram transports (Config.Datagram)
// state what they cannot promise, and are held to the rest. On
// connections it makes itself, without a socket, it checks each optional
// capability the transport's connections have (see sp.ConnAs) against that
// capability's contract: a SendNow that always declines, or a
// ResumableConn that cannot resume, fails. Each check is a subtest of its
// own.
// Every check closes every socket it made and fails if a goroutine it
// started is still alive afterwards, so Run must not run in parallel with
// other tests of the same binary (do not call t.Parallel in the test that
// calls it, nor in its siblings).
package transporttest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/leaktest"
	"github.com/spgo/sp/protocol/pair"
)

// Config describes the transport under test.
type Config struct {
	// Addr returns a fresh address to listen on, such as
	// "tcp://127.0.0.1:0" or ipc:// and a new path. Required.
	Addr func(t testing.TB) string

	// DialAddr turns a listener's URL and its bound Addr() into the URL to
	// dial: for tcp port 0, the URL with the port chosen (see BoundTCP).
	// The suite also listens again on this URL to test restarts, so it
	// must be one a listener accepts. Nil: the listen URL itself.
	DialAddr func(listenURL string, bound net.Addr) string

	// ListenOptions and DialOptions return endpoint options the two sides
	// need, such as sp.TLSConfig; either may be nil. The suite adds its
	// own after them (short reconnect intervals, RecvMaxSize).
	ListenOptions, DialOptions func(t testing.TB) []sp.EndpointOption

	// BadURLs are addresses the transport must reject with an error
	// wrapping sp.ErrBadURL. The suite also checks "<scheme>://", with
	// nothing after the scheme.
	BadURLs []BadURL

	// Refused returns an address nobody listens on: a DialSync dial to it
	// must fail with sp.ErrConnRefused. Nil skips the check (a transport
	// that cannot tell "refused" from "unreachable").
	Refused func(t testing.TB) string

	// Stream, for transports that carry SP's stream mapping (an 8-byte
	// handshake, then length-prefixed frames: tcp, ipc, tls+tcp), lets the
	// suite speak raw bytes to a listener, to check that a frame claiming
	// more than the receive limit is refused without allocating it. Nil
	// skips those checks; the generic limit checks run for every transport.
	Stream *Stream

	// Datagram, for transports that carry each message in one datagram,
	// with no retransmission or flow control (udp), says what they cannot
	// promise; the suite then checks what they promise instead: Order
	// paces its sender so as not to overrun the receiver (such a transport
	// drops what overflows), Large sends the largest message a datagram
	// carries and checks that one byte more is refused, and RecvMaxSize
	// uses a limit under that size. Nil: a stream of bytes or messages,
	// which delivers everything in order and carries 16 MiB messages.
	Datagram *Datagram
}

// Datagram describes a transport that carries one message per datagram.
type Datagram struct {
	// MaxMessage is the largest message (SP header and body) a datagram
	// carries. A larger one must be refused at the sender, never
	// fragmented: its pipe closes, as for a message over a limit, and
	// nothing of it is delivered.
	MaxMessage int
}

// BadURL is an address a transport must reject.
type BadURL struct {
	URL string
	// Reason is text the error message must contain, the words that say
	// what is wrong ("port", "no path"); "" checks only sp.ErrBadURL.
	Reason string
	// DialOnly marks an address that only a dialer must reject, such as
	// tcp://*:5555 (a listener binds every interface with it).
	DialOnly bool
}

// Stream describes a transport's byte stream, under the SP handshake.
type Stream struct {
	// Dial opens a raw connection to url (as returned by DialAddr), with
	// any layer under SP (a TLS session, say) already set up.
	Dial func(ctx context.Context, url string) (net.Conn, error)
	// IPC selects the ipc framing: a type byte 0x01 before each length.
	IPC bool
}

// BoundTCP is a Config.DialAddr for transports whose listeners bind a tcp
// port: it returns listenURL with the host and port of bound, a
// *net.TCPAddr (an unspecified host, from "*", "" or "0.0.0.0", becomes
// 127.0.0.1). It keeps the scheme and any path ("ws://127.0.0.1:0/x" becomes
// "ws://127.0.0.1:41234/x").
func BoundTCP(listenURL string, bound net.Addr) string {
	ta, ok := bound.(*net.TCPAddr)
	if !ok {
		return listenURL
	}
	scheme, rest, _ := strings.Cut(listenURL, "://")
	path := ""
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		path = rest[i:]
	}
	ip := ta.IP
	if ip == nil || ip.IsUnspecified() {
		ip = net.IPv4(127, 0, 0, 1) // a wildcard listener is dual-stack
	}
	return fmt.Sprintf("%s://%s%s", scheme, net.JoinHostPort(ip.String(), fmt.Sprint(ta.Port)), path)
}

// timeout bounds every wait of the suite.
const timeout = 10 * time.Second

// Run runs the whole suite as subtests of t.
func Run(t *testing.T, c Config) {
	if c.Addr == nil {
		t.Fatal("transporttest: Config.Addr is required")
	}
	checks := []struct {
		name string
		f    func(*testing.T, Config)
	}{
		{"ListenerAddr", testListenerAddr},
		{"Exchange", Exchange},
		{"Order", testOrder},
		{"Large", testLarge},
		{"RecvMaxSize", testRecvMaxSize},
		{"RecvMaxSizeClaim", testClaim},
		{"Handshake", testHandshake},
		{"Refused", testRefused},
		{"WrongProtocol", testWrongProtocol},
		{"CloseUnblocksRecv", testCloseUnblocksRecv},
		{"PeerClose", testPeerClose},
		{"ListenerRestart", testRestart},
		{"ManyPipes", testManyPipes},
		{"AddrInUse", testAddrInUse},
		{"BadURLs", testBadURLs},
		{"Capabilities", testCapabilities},
	}
	for _, ch := range checks {
		t.Run(ch.name, func(t *testing.T) {
			t.Cleanup(leaktest.Check(t)) // registered first: runs last
			ch.f(t, c)
		})
	}
}

// Exchange is the quick check of one address form: a pair listens on
// c.Addr, another dials it, and a message goes each way; both ends' pipes
// must have addresses and the right peer protocol. Run includes it; call it
// alone for other forms of address once Run passes for the main one
// (tcp://*:0 next to tcp://127.0.0.1:0, say).
func Exchange(t *testing.T, c Config) {
	if c.Addr == nil {
		t.Fatal("transporttest: Config.Addr is required")
	}
	ctx := testCtx(t)
	a, b := newSocket(t, pair.NewSocket), newSocket(t, pair.NewSocket)
	_, url := listen(t, c, b, c.Addr(t))
	dial(t, c, a, url, true)
	for _, d := range []struct {
		name     string
		from, to sp.Socket
	}{{"dialer to listener", a, b}, {"listener to dialer", b, a}} {
		want := "hello, " + d.name
		send(t, ctx, d.from, []byte(want))
		m := recvMsg(t, ctx, d.to)
		if got := string(m.Body); got != want {
			t.Fatalf("%s: got %q, want %q", d.name, got, want)
		}
		p := m.Pipe()
		if p == nil {
			t.Fatalf("%s: received message has no Pipe", d.name)
		}
		if p.LocalAddr() == nil || p.RemoteAddr() == nil {
			t.Errorf("%s: pipe LocalAddr() = %v, RemoteAddr() = %v, want both non-nil", d.name, p.LocalAddr(), p.RemoteAddr())
		}
		if got := p.PeerProtocol(); got != pair.PeerID {
			t.Errorf("%s: pipe PeerProtocol() = 0x%x, want 0x%x (pair v0)", d.name, got, pair.PeerID)
		}
		if _, err := p.OptionValue("transporttest:no-such-property"); !errors.Is(err, sp.ErrBadOption) {
			t.Errorf("%s: pipe OptionValue(unknown name): got error %v, want one wrapping sp.ErrBadOption", d.name, err)
		}
		m.Free()
	}
}

func testListenerAddr(t *testing.T, c Config) {
	s := newSocket(t, pair.NewSocket)
	url := c.Addr(t)
	l, err := s.NewListener(url, c.listenOpts(t)...)
	if err != nil {
		t.Fatalf("NewListener(%s): %v", url, err)
	}
	if a := l.Addr(); a != nil {
		t.Errorf("Addr() before Listen = %v (%T), want nil", a, a)
	}
	if got := l.URL(); got != url {
		t.Errorf("URL() = %q, want %q", got, url)
	}
	if err := l.Listen(); err != nil {
		t.Fatalf("Listen(%s): %v", url, err)
	}
	a := l.Addr()
	if a == nil {
		t.Fatalf("Addr() after Listen = nil, want the bound address")
	}
	if a.Network() == "" || a.String() == "" {
		t.Errorf("Addr() after Listen: Network() = %q, String() = %q, want both non-empty", a.Network(), a.String())
	}
	if err := l.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
}

// helpers

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	t.Cleanup(cancel)
	return ctx
}

func newSocket(t testing.TB, f func() (sp.Socket, error)) sp.Socket {
	t.Helper()
	s, err := f()
	if err != nil {
		t.Fatalf("new socket: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func (c Config) listenOpts(t testing.TB, extra ...sp.EndpointOption) []sp.EndpointOption {
	var o []sp.EndpointOption
	if c.ListenOptions != nil {
		o = append(o, c.ListenOptions(t)...)
	}
	return append(o, extra...)
}

func (c Config) dialOpts(t testing.TB, extra ...sp.EndpointOption) []sp.EndpointOption {
	var o []sp.EndpointOption
	if c.DialOptions != nil {
		o = append(o, c.DialOptions(t)...)
	}
	o = append(o, sp.With(sp.ReconnectMin, 10*time.Millisecond), sp.With(sp.ReconnectMax, 100*time.Millisecond))
	return append(o, extra...)
}

func (c Config) dialURL(listenURL string, bound net.Addr) string {
	if c.DialAddr == nil {
		return listenURL
	}
	return c.DialAddr(listenURL, bound)
}

// listen makes s listen on url and returns the listener and the URL to dial.
func listen(t testing.TB, c Config, s sp.Socket, url string, extra ...sp.EndpointOption) (sp.Listener, string) {
	t.Helper()
	l, err := s.NewListener(url, c.listenOpts(t, extra...)...)
	if err != nil {
		t.Fatalf("NewListener(%s): %v", url, err)
	}
	if err := l.Listen(); err != nil {
		t.Fatalf("Listen(%s): %v", url, err)
	}
	return l, c.dialURL(url, l.Addr())
}

// dial makes s dial url, synchronously or not, with short reconnects.
func dial(t testing.TB, c Config, s sp.Socket, url string, sync bool, extra ...sp.EndpointOption) {
	t.Helper()
	if sync {
		extra = append(extra, sp.WithDialSync())
	}
	if err := s.Dial(url, c.dialOpts(t, extra...)...); err != nil {
		t.Fatalf("Dial(%s): %v", url, err)
	}
}

func send(t testing.TB, ctx context.Context, s sp.Socket, b []byte) {
	t.Helper()
	if err := s.Send(ctx, b); err != nil {
		t.Fatalf("Send(%d bytes): %v", len(b), err)
	}
}

func recvMsg(t testing.TB, ctx context.Context, s sp.Socket) *sp.Message {
	t.Helper()
	m, err := s.RecvMsg(ctx)
	if err != nil {
		t.Fatalf("Recv: %v", err)
	}
	return m
}

// pipes follows a socket's pipes through its pipe hook.
type pipes struct {
	mu      sync.Mutex
	live    map[uint32]bool
	added   int
	removed int
	changed chan struct{}
}

func watch(s sp.Socket) *pipes {
	w := &pipes{live: make(map[uint32]bool), changed: make(chan struct{})}
	s.SetPipeHook(func(ev sp.PipeEvent, p sp.Pipe) bool {
		w.mu.Lock()
		defer w.mu.Unlock()
		switch {
		case ev == sp.PipeAdded:
			w.live[p.ID()] = true
			w.added++
		case ev == sp.PipeRemoved && w.live[p.ID()]:
			delete(w.live, p.ID())
			w.removed++
		default:
			return true
		}
		close(w.changed)
		w.changed = make(chan struct{})
		return true
	})
	return w
}

// wait waits until cond(live, added, removed) holds, failing t after
// timeout.
func (w *pipes) wait(t testing.TB, what string, cond func(live, added, removed int) bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if !w.until(ctx, cond) {
		w.mu.Lock()
		live, added, removed := len(w.live), w.added, w.removed
		w.mu.Unlock()
		t.Fatalf("waiting for %s: got %d live pipes, %d added, %d removed after %v", what, live, added, removed, timeout)
	}
}

// until waits until cond(live, added, removed) holds, and reports false if
// ctx ends first.
func (w *pipes) until(ctx context.Context, cond func(live, added, removed int) bool) bool {
	for {
		w.mu.Lock()
		ok, ch := cond(len(w.live), w.added, w.removed), w.changed
		w.mu.Unlock()
		if ok {
			return true
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return false
		}
	}
}
