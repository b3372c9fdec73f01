// Package protocoltest is the conformance suite every sp protocol runs, as
// transporttest is for transports: a protocol's tests describe it with a
// Config and call Run.
//
//	func TestConformance(t *testing.T) {
//		protocoltest.Run(t, protocoltest.Config{
//			NewSocket:        push.NewSocket,
//			NewRawSocket:     push.NewRawSocket,
//			NewPeer:          pull.NewSocket,
//			Info:             sp.ProtocolInfo{Self: 0x50, Peer: 0x51, SelfName: "push", PeerName: "pull"},
//			Pattern:          protocoltest.SendOnly,
//			SendWaitsForPeer: true,
//			SendWaitsForRoom: true,
//		})
//	}
//
// The suite checks what every protocol shares: its names and ids, that it
// refuses peers of another protocol, exchanges with its peer over inproc,
// ipc and tcp (in order, 16 MiB messages, the receive limit, reconnection),
// that Close unblocks blocked calls and Shutdown refuses sends and writes
// out what was accepted, contexts where it has them, raw mode, options,
// timeouts and statistics. What a pattern alone does (routing, topics,
// backtraces, surveys) stays in the protocol's own tests.
//
// Each check is a subtest of its own that closes every socket it made and
// fails if a goroutine it started is still alive afterwards, so Run must not
// run in parallel with other tests of the same binary.
package protocoltest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/leaktest"
	"github.com/spgo/sp/internal/sptest"
)

// Pattern says which way messages go between a socket of the protocol and
// its peer.
type Pattern int

const (
	// Both: either end sends independent messages whenever it likes
	// (pair, pair1, bus, star).
	Both Pattern = iota
	// SendOnly: the socket sends, its peer receives (push, pub).
	SendOnly
	// RecvOnly: the peer sends, the socket receives (pull, sub).
	RecvOnly
	// Requests: the socket sends a request and receives its answers
	// (req, surveyor).
	Requests
	// Replies: the socket receives a request and answers it (rep,
	// respondent).
	Replies
)

// sends reports whether a socket of the pattern sends at all.
func (p Pattern) sends() bool { return p != RecvOnly }

// recvs reports whether a socket of the pattern receives at all.
func (p Pattern) recvs() bool { return p != SendOnly }

// independent reports whether messages stand alone, in streams whose order
// the protocol keeps (no request and answer).
func (p Pattern) independent() bool { return p == Both || p == SendOnly || p == RecvOnly }

// Config describes the protocol under test.
type Config struct {
	// NewSocket makes a cooked socket of the protocol, ready to exchange
	// (a sub socket subscribed to everything, a surveyor whose surveys
	// outlast a test). Required.
	NewSocket func() (sp.Socket, error)
	// NewRawSocket makes a raw socket of the protocol; nil if it has no
	// raw mode.
	NewRawSocket func() (sp.Socket, error)
	// NewPeer makes a cooked socket of the peer protocol, ready to
	// exchange as NewSocket's. Required.
	NewPeer func() (sp.Socket, error)
	// NewStranger makes a socket of another protocol, one the protocol
	// must refuse as a peer, such as the nearest by name or shape (pair v0
	// for pair1, bus for star). Nil: pair v0, or bus for pair v0.
	NewStranger func() (sp.Socket, error)
	// Info is what Info of the protocol's sockets, cooked and raw, returns.
	Info sp.ProtocolInfo
	// Pattern says which way messages go.
	Pattern Pattern
	// Contexts is set for protocols whose cooked sockets have contexts;
	// for the others, OpenContext must fail with sp.ErrNotSupported.
	Contexts bool
	// SetupContext, if not nil, makes a new context ready to exchange (a
	// sub context subscribes to everything).
	SetupContext func(sp.Context) error
	// OnePeer is set for protocols that keep one peer at a time (pair,
	// monogamous pair1): a second is refused while the first lasts.
	OnePeer bool
	// SendWaitsForPeer is set for protocols whose Send, with no peer,
	// blocks until one comes (push, pair, pair1, req). Protocols that send
	// first and do not wait (pub, bus, star, surveyor) must never block.
	SendWaitsForPeer bool
	// SendWaitsForRoom is set for protocols whose Send blocks while the
	// peer does not receive and every queue between them is full (push,
	// pair, pair1).
	SendWaitsForRoom bool
	// Header is the size of the SP header before the body of each message
	// the socket sends or receives on the wire (4 for pair1, star, req,
	// rep, surveyor and respondent; 0 for the others).
	Header int
	// RawHeader is the Header a raw socket puts on a message it sends
	// first (the request or survey id of raw req and surveyor); nil for
	// none.
	RawHeader []byte
	// Helpers are the protocol's calls that send on a socket through
	// contexts of their own (req.Request, surveyor.SurveyAll): once
	// Shutdown has begun they must fail with sp.ErrClosed, as Send does.
	Helpers []func(ctx context.Context, s sp.Socket) error
	// BadOptions are values of the protocol's own options that its
	// sockets must refuse with sp.ErrBadOption.
	BadOptions []BadOption
}

// BadOption is a value a socket must refuse for an option.
type BadOption struct {
	Name  string // the option's name, such as "surveyor:survey-time"
	Value any
}

// Timeout bounds every wait of the suite.
const Timeout = sptest.Timeout

// Run runs the whole suite as subtests of t.
func Run(t *testing.T, c Config) {
	if c.NewSocket == nil || c.NewPeer == nil {
		t.Fatal("protocoltest: Config.NewSocket and Config.NewPeer are required")
	}
	checks := []struct {
		name string
		f    func(*testing.T, Config)
	}{
		{"Info", testInfo},
		{"WrongPeer", testWrongPeer},
		{"WrongDirection", testWrongDirection},
		{"Exchange", testExchange},
		{"Order", testOrder},
		{"Large", testLarge},
		{"TooLarge", testTooLarge},
		{"Reconnect", testReconnect},
		{"Peers", testPeers},
		{"Stats", testStats},
		{"Options", testOptions},
		{"Timeouts", testTimeouts},
		{"NeverBlocks", testNeverBlocks},
		{"CloseUnblocks", testCloseUnblocks},
		{"Contexts", testContexts},
		{"Shutdown", testShutdown},
		{"ShutdownRefusesSends", testShutdownRefusesSends},
		{"ShutdownDelivers", testShutdownDelivers},
	}
	for _, ch := range checks {
		t.Run(ch.name, func(t *testing.T) {
			t.Cleanup(leaktest.Check(t)) // registered first: runs last
			ch.f(t, c)
		})
	}
}

// flavor is one kind of socket of the protocol: cooked, or raw.
type flavor struct {
	name      string
	raw       bool
	newSocket func() (sp.Socket, error)
}

// flavors returns the cooked flavor and, if the protocol has one, the raw.
func (c Config) flavors() []flavor {
	f := []flavor{{"cooked", false, c.NewSocket}}
	if c.NewRawSocket != nil {
		f = append(f, flavor{"raw", true, c.NewRawSocket})
	}
	return f
}

// eachFlavor runs body as a subtest for each flavor.
func (c Config) eachFlavor(t *testing.T, body func(t *testing.T, f flavor)) {
	for _, f := range c.flavors() {
		t.Run(f.name, func(t *testing.T) { body(t, f) })
	}
}

// connect makes s dial peer, which listens on a fresh address of tr, and
// returns once both have the pipe.
func connect(t *testing.T, tr sptest.Transport, s, peer sp.Socket) {
	t.Helper()
	sptest.Dial(t, s, sptest.Listen(t, peer, tr.Addr(t)))
	waitPeers(t, s, 1)
	waitPeers(t, peer, 1)
}

// waitPeers waits until s has at least n pipes.
func waitPeers(t *testing.T, s sp.Socket, n int) {
	t.Helper()
	require.NoError(t, s.WaitPeers(sptest.Ctx(t), n), "waiting for %d peers", n)
}

// returnsClosed waits for the result of a call blocked when its socket or
// context closed, and checks it is sp.ErrClosed.
func returnsClosed(t *testing.T, errs <-chan error, what string) {
	t.Helper()
	timer := time.NewTimer(Timeout)
	defer timer.Stop()
	select {
	case err := <-errs:
		require.ErrorIs(t, err, sp.ErrClosed, "%s blocked at Close: got %v, want ErrClosed", what, err)
	case <-timer.C:
		t.Fatalf("%s still blocked %v after Close", what, Timeout)
	}
}

// short returns a context that ends after d.
func short(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}
