package transporttest

import (
	"errors"
	"net"
	"path"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/spgo/sp"
)

// connConfig is the sp.TransportConfig the capability checks give the
// transport: pair v1 on both sides, the Config's endpoint options, and
// every other option at its registered default.
type connConfig struct {
	vals map[string]any
}

func newConnConfig(t testing.TB, opts []sp.EndpointOption) *connConfig {
	t.Helper()
	cfg := &connConfig{vals: make(map[string]any)}
	for _, o := range opts {
		if err := o.Apply(cfg); err != nil {
			t.Fatalf("endpoint option: %v", err)
		}
	}
	return cfg
}

func (c *connConfig) Protocol() sp.ProtocolInfo {
	return sp.ProtocolInfo{Self: 0x11, Peer: 0x11, SelfName: "pair1", PeerName: "pair1"}
}

func (c *connConfig) SetOptionValue(name string, v any) error {
	c.vals[name] = v
	return nil
}

func (c *connConfig) OptionValue(name string) (any, error) {
	if v, ok := c.vals[name]; ok {
		return v, nil
	}
	def, _, ok := sp.LookupOption(name)
	if !ok {
		return nil, sp.ErrBadOption
	}
	return def, nil
}

// connPair dials the transport straight, without a socket, and returns
// both ends with their handshakes done: a the dialer's, b the listener's.
func connPair(t *testing.T, c Config) (a, b sp.TransportConn) {
	t.Helper()
	url := c.Addr(t)
	tr, err := sp.FindTransport(url)
	if err != nil {
		t.Fatalf("FindTransport(%s): %v", url, err)
	}
	l, err := tr.NewListener(url, newConnConfig(t, c.listenOpts(t)))
	if err != nil {
		t.Fatalf("NewListener(%s): %v", url, err)
	}
	if err := l.Listen(); err != nil {
		t.Fatalf("Listen(%s): %v", url, err)
	}
	t.Cleanup(func() { l.Close() })
	accepted := make(chan sp.TransportConn, 1)
	failed := make(chan error, 1)
	go func() {
		conn, err := l.Accept()
		if err == nil {
			err = conn.Handshake(time.Now().Add(timeout))
		}
		if err != nil {
			failed <- err
			return
		}
		accepted <- conn
	}()
	d, err := tr.NewDialer(c.dialURL(url, l.Addr()), newConnConfig(t, c.dialOpts(t)))
	if err != nil {
		t.Fatalf("NewDialer: %v", err)
	}
	a, err = d.Dial(testCtx(t))
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { a.Close() })
	if err := a.Handshake(time.Now().Add(timeout)); err != nil {
		t.Fatalf("dialer's Handshake: %v", err)
	}
	select {
	case b = <-accepted:
	case err := <-failed:
		t.Fatalf("listener's Accept and Handshake: %v", err)
	}
	t.Cleanup(func() { b.Close() })
	return a, b
}

func msgOf(body string) *sp.Message {
	m := sp.NewMessage(len(body))
	m.Body = append(m.Body, body...)
	return m
}

// sendFlushed sends body over conn and flushes it.
func sendFlushed(t *testing.T, conn sp.TransportConn, body string) {
	t.Helper()
	if err := conn.Send(msgOf(body)); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if err := conn.Flush(); err != nil {
		t.Fatalf("Flush: %v", err)
	}
}

// recvWant receives one message from conn and checks its bytes.
func recvWant(t *testing.T, conn sp.TransportConn, want string) {
	t.Helper()
	m, err := conn.Recv(0)
	if err != nil {
		t.Fatalf("Recv: got error %v, want %q", err, want)
	}
	if got := string(m.Body); got != want {
		t.Fatalf("Recv: got %q, want %q", got, want)
	}
	m.Free()
}

// testCapabilities checks, on a connection the transport made, each
// optional capability it has (see sp.ConnAs) against that capability's
// contract: a transport carries only what it honors.
func testCapabilities(t *testing.T, c Config) {
	checks := []struct {
		name string
		f    func(t *testing.T, c Config)
	}{
		{"DirectSender", testDirectSender},
		{"SentCounter", testSentCounter},
		{"ResumableConn", testResumable},
		{"HalfCloser", testHalfCloser},
		{"BufferedConn", testBuffered},
		{"EndNotifier", testEndNotifier},
		{"Consistent", testConsistent},
	}
	for _, ch := range checks {
		t.Run(ch.name, func(t *testing.T) { ch.f(t, c) })
	}
}

// has returns the dialer's end's capability T, skipping the check if the
// transport's connections do not have it.
func has[T any](t *testing.T, c Config) (T, sp.TransportConn, sp.TransportConn) {
	t.Helper()
	a, b := connPair(t, c)
	v, ok := sp.ConnAs[T](a)
	if !ok {
		name := strings.TrimPrefix(t.Name(), path.Dir(t.Name())+"/")
		t.Skipf("the transport's connections are not sp.%s", name)
	}
	return v, a, b
}

// An idle connection's SendNow takes a small message (one that always
// declines is a capability the transport should not carry), and the peer
// receives it.
func testDirectSender(t *testing.T, c Config) {
	ds, a, b := has[sp.DirectSender](t, c)
	taken, more, err := ds.SendNow(msgOf("now"))
	if err != nil || !taken {
		t.Fatalf("SendNow of 3 bytes on an idle connection: got taken=%v, err=%v, want taken", taken, err)
	}
	if more {
		if err := a.Flush(); err != nil {
			t.Fatalf("Flush after SendNow: %v", err)
		}
	}
	recvWant(t, b, "now")
}

// What Send and Flush wrote out is counted, header and body.
func testSentCounter(t *testing.T, c Config) {
	sc, a, b := has[sp.SentCounter](t, c)
	msgs0, bytes0 := sc.SentCounts()
	m := msgOf("counted")
	m.Header = append(m.Header, 0x80, 0, 0, 1)
	if err := a.Send(m); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if err := a.Flush(); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	recvWant(t, b, "\x80\x00\x00\x01counted")
	msgs, n := sc.SentCounts()
	if msgs-msgs0 != 1 || n-bytes0 != 11 {
		t.Fatalf("SentCounts after one 11-byte message: got +%d messages, +%d bytes, want +1, +11", msgs-msgs0, n-bytes0)
	}
}

// A read deadline interrupts a Recv with a timeout error and loses
// nothing: the next Recv returns what the peer sends after.
func testResumable(t *testing.T, c Config) {
	rc, a, b := has[sp.ResumableConn](t, c)
	if !rc.Resumable() {
		t.Fatal("a transport's ResumableConn reports Resumable() false: it should not carry the capability")
	}
	done := make(chan error, 1)
	go func() {
		_, err := a.Recv(0)
		done <- err
	}()
	time.Sleep(20 * time.Millisecond) // let Recv block (an earlier deadline is as good)
	if err := rc.SetReadDeadline(time.Unix(1, 0)); err != nil {
		t.Fatalf("SetReadDeadline: %v", err)
	}
	select {
	case err := <-done:
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() {
			t.Fatalf("Recv interrupted by a past deadline: got %v, want a timeout", err)
		}
	case <-time.After(timeout):
		t.Fatal("a past read deadline did not interrupt Recv")
	}
	if err := rc.SetReadDeadline(time.Time{}); err != nil {
		t.Fatalf("SetReadDeadline(zero): %v", err)
	}
	sendFlushed(t, b, "after")
	recvWant(t, a, "after")
}

// After CloseWrite the peer reads what was sent, then an end, while the
// closing side still receives.
func testHalfCloser(t *testing.T, c Config) {
	hc, a, b := has[sp.HalfCloser](t, c)
	sendFlushed(t, b, "to the closer")
	sendFlushed(t, a, "last")
	if err := hc.CloseWrite(); err != nil {
		t.Fatalf("CloseWrite: %v", err)
	}
	recvWant(t, b, "last")
	if m, err := b.Recv(0); err == nil {
		t.Fatalf("Recv after the peer's CloseWrite: got %q, want an error", m.Body)
	}
	recvWant(t, a, "to the closer")
}

// Buffered reports false when nothing is at hand: before anything is sent,
// and after all that was sent is read.
func testBuffered(t *testing.T, c Config) {
	bc, a, b := has[sp.BufferedConn](t, c)
	if bc.Buffered() {
		t.Fatal("Buffered on an idle connection: got true, want false")
	}
	if err := b.Send(msgOf("one")); err != nil {
		t.Fatalf("Send: %v", err)
	}
	sendFlushed(t, b, "two")
	recvWant(t, a, "one")
	recvWant(t, a, "two")
	if bc.Buffered() {
		t.Fatal("Buffered after reading all there was: got true, want false")
	}
}

// NotifyEnd's function runs once the connection ends; after that,
// NotifyEnd reports false.
func testEndNotifier(t *testing.T, c Config) {
	en, a, _ := has[sp.EndNotifier](t, c)
	ended := make(chan struct{})
	if !en.NotifyEnd(func() { close(ended) }) {
		t.Fatal("NotifyEnd on a live connection: got false, want true")
	}
	a.Close()
	select {
	case <-ended:
	case <-time.After(timeout):
		t.Fatal("NotifyEnd's function did not run after Close")
	}
	if en.NotifyEnd(func() {}) {
		t.Fatal("NotifyEnd on an ended connection: got true, want false")
	}
}

// Capabilities that only work together come together: an EagerSender is a
// DirectSender, a WaitRecver is a ResumableConn, and a ResumableConn can
// tell its receivers that the peer left (an EndNotifier or a descriptor).
func testConsistent(t *testing.T, c Config) {
	a, _ := connPair(t, c)
	_, direct := sp.ConnAs[sp.DirectSender](a)
	_, res := sp.ConnAs[sp.ResumableConn](a)
	if _, ok := sp.ConnAs[sp.EagerSender](a); ok && !direct {
		t.Error("an EagerSender that is not a DirectSender: the engine cannot use it")
	}
	if _, ok := sp.ConnAs[sp.WaitRecver](a); ok && !res {
		t.Error("a WaitRecver that is not a ResumableConn: the engine cannot use it")
	}
	if res {
		_, ends := sp.ConnAs[sp.EndNotifier](a)
		sc, fd := sp.ConnAs[syscall.Conn](a)
		if fd {
			_, err := sc.SyscallConn()
			fd = err == nil
		}
		if !ends && !fd {
			t.Error("a ResumableConn with neither NotifyEnd nor a descriptor: nothing tells a receiver reading it that the peer left")
		}
	}
}
