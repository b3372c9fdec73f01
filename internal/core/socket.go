package core

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/msgtrack"

	// The built-in transports are always available.
	_ "github.com/spgo/sp/transport/inproc"
	_ "github.com/spgo/sp/transport/ipc"
	_ "github.com/spgo/sp/transport/tcp"
	_ "github.com/spgo/sp/transport/tls"
	_ "github.com/spgo/sp/transport/udp"
	_ "github.com/spgo/sp/transport/ws"
	_ "github.com/spgo/sp/transport/zt"
)

// Protocol is a pattern's rules. The engine calls AddPipe and RemovePipe as
// peers come and go, and Received with each message a pipe reads; the
// protocol decides where sent messages go and what received ones mean.
//
// The engine calls AddPipe while holding the socket's lock (so AddPipe
// calls never overlap), so a protocol must not call, from it, any Socket
// method that takes that lock: Close, Shutdown, Pipes, Stats, WaitPeers, or
// a dialer's or listener's methods (see the package doc's lock order).
type Protocol interface {
	// Init is called once by NewSocket, before anything else; the protocol
	// keeps s and may define its own options on s.Options().
	Init(s *Socket)
	// Info names the protocol and its peer.
	Info() sp.ProtocolInfo
	// AddPipe is called when a pipe joins; an error rejects the pipe.
	AddPipe(p *Pipe) error
	// RemovePipe is called once a pipe added by AddPipe has closed.
	RemovePipe(p *Pipe)
	// Received is called on p's reader goroutine (or, for a protocol
	// that sets Socket.ReadsInRecv, on a receiver's that reads p) with
	// each message it reads (header and body together in Body); the
	// protocol owns m. It may block to push back on the peer, but must
	// return once p closes.
	Received(p *Pipe, m *sp.Message)
	// SendMsg sends m, owning it also on error; timeout <= 0 means none.
	SendMsg(ctx context.Context, m *sp.Message, timeout time.Duration) error
	// RecvMsg receives a message; timeout <= 0 means none.
	RecvMsg(ctx context.Context, timeout time.Duration) (*sp.Message, error)
	// Close is called once when the socket closes, after its pipes were
	// told to close; it must wake the protocol's blocked calls.
	Close()
}

// ContextOpener is implemented by protocols that have contexts.
type ContextOpener interface {
	OpenContext() (sp.Context, error)
}

// Socket implements sp.Socket over a Protocol. It is safe for concurrent use.
type Socket struct {
	proto Protocol
	info  sp.ProtocolInfo
	opts  *Options

	// RecvQ is the socket's receive queue, sized by sp.RecvQueueLen, for
	// protocols that deliver messages to Recv through one queue.
	RecvQ *Queue
	// Room is broadcast whenever a pipe's writer has emptied its queue,
	// for protocols whose Send waits for a pipe with room.
	Room Notifier

	// Delivery, set by a protocol in Init, is what Deliver does with a
	// message that finds RecvQ full: wait for room (WaitForRoom, the
	// default), or drop it and count it (DropWhenFull).
	Delivery Delivery
	// ReadsInRecv, set by a protocol in Init, lets RecvQueued read the
	// socket's only pipe in the receiving goroutine (see recvdirect.go).
	// A protocol may set it if its Received only ever calls Deliver, at
	// most once per message, and never blocks.
	ReadsInRecv bool
	// RecvIsQueued, set by a protocol in Init whose RecvMsg only calls
	// RecvQueued, has the socket's RecvMsg call RecvQueued itself.
	RecvIsQueued bool
	solo         atomic.Pointer[Pipe] // the only pipe, or nil
	held         atomic.Pointer[Pipe] // the pipe whose read role receivers hold, or nil
	roleLeft     chan struct{}        // a token: a read role was left with receivers

	sendTimeout atomic.Int64
	recvTimeout atomic.Int64
	maxTTL      atomic.Int32
	log         atomic.Pointer[slog.Logger]
	hook        atomic.Pointer[sp.PipeHook]
	hooks       hookRunner  // the hook's goroutine (see hooks.go)
	started     atomic.Bool // a dialer or listener has been made

	conns   conns                         // of every endpoint, past and present
	retired traffic                       // of the pipes that have left
	drops   [numDropReasons]atomic.Uint64 // by DropReason
	// retiredDrops: what the transports of closed endpoints dropped
	// (sp.DropCounter); under mu.
	retiredDrops sp.Drops
	counterSet

	npipes    atomic.Int32 // len(pipes), for ExplainTimeout
	sendLimit atomic.Int64 // the smallest pipe's sp.SendLimiter limit; 0: none
	// The send gate and the drain (see shutdown.go).
	stopping atomic.Bool   // Shutdown has begun: no new sends
	stopped  chan struct{} // closed when stopping is set
	stopOnce sync.Once
	flushed  Notifier      // a pipe's writer went idle, or a pipe closed, while stopping
	joined   Notifier      // a pipe joined (see WaitPeers)
	done     chan struct{} // closed once Close has waited for every goroutine

	mu        sync.Mutex
	closed    bool
	closing   chan struct{}
	pipes     map[uint32]*Pipe
	endpoints map[endpoint]struct{}
	adopt     *adopter // the endpoint of AddConn's pipes, or nil
	wg        sync.WaitGroup
}

// NewSocket returns a socket running proto.
func NewSocket(proto Protocol) *Socket {
	s := &Socket{
		proto:     proto,
		info:      proto.Info(),
		opts:      newOptions(),
		closing:   make(chan struct{}),
		stopped:   make(chan struct{}),
		done:      make(chan struct{}),
		roleLeft:  make(chan struct{}, 1),
		pipes:     make(map[uint32]*Pipe),
		endpoints: make(map[endpoint]struct{}),
	}
	s.defineCommon()
	s.RecvQ = NewQueue(Get(s.opts, sp.RecvQueueLen))
	proto.Init(s)
	return s
}

// Options returns the socket's options, where a protocol defines its own.
func (s *Socket) Options() *Options { return s.opts }

// Closing returns a channel closed when the socket starts closing.
func (s *Socket) Closing() <-chan struct{} { return s.closing }

// Started reports whether a dialer or listener has been made on the socket,
// for options that may only be set before.
func (s *Socket) Started() bool { return s.started.Load() }

// MaxTTL returns the current sp.MaxTTL.
func (s *Socket) MaxTTL() int { return int(s.maxTTL.Load()) }

// Info implements sp.Socket.
func (s *Socket) Info() sp.ProtocolInfo { return s.info }

// SetOptionValue implements sp.OptionSetter.
func (s *Socket) SetOptionValue(name string, v any) error { return s.opts.SetOptionValue(name, v) }

// OptionValue implements sp.OptionGetter.
func (s *Socket) OptionValue(name string) (any, error) { return s.opts.OptionValue(name) }

// Send implements sp.Socket.
func (s *Socket) Send(ctx context.Context, b []byte) error {
	m := sp.NewMessage(len(b))
	m.Body = append(m.Body, b...)
	return s.SendMsg(ctx, m)
}

// Recv implements sp.Socket.
func (s *Socket) Recv(ctx context.Context) ([]byte, error) {
	m, err := s.RecvMsg(ctx)
	if err != nil {
		return nil, err
	}
	return m.Body, nil // the message itself is left to the collector
}

// SendMsg implements sp.Socket.
func (s *Socket) SendMsg(ctx context.Context, m *sp.Message) error {
	msgtrack.ToLibrary(m)
	if ctx == nil {
		ctx = context.Background()
	}
	if err := s.CheckSend(); err != nil {
		m.Free()
		return err
	}
	if err := s.CheckSize(m); err != nil {
		return err
	}
	if err := s.proto.SendMsg(ctx, m, time.Duration(s.sendTimeout.Load())); err != nil {
		return s.ExplainTimeout("send", err)
	}
	return nil
}

// RecvMsg implements sp.Socket.
func (s *Socket) RecvMsg(ctx context.Context) (*sp.Message, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	timeout := time.Duration(s.recvTimeout.Load())
	var m *sp.Message
	var err error
	switch {
	case !s.RecvIsQueued:
		m, err = s.proto.RecvMsg(ctx, timeout)
	case timeout > 0 || s.RecvQ.Len() > 0:
		m, err = s.RecvQueued(ctx, timeout)
	default:
		// RecvQueued's usual way, a call nearer the caller (see
		// waitRecver).
		ok := false
		if p := s.solo.Load(); p != nil && p.rr != nil {
			m, err, ok = s.recvDirect(ctx, p, nil)
		}
		if !ok {
			m, err = s.recvWait(ctx, nil)
		}
	}
	if err != nil {
		return nil, s.ExplainTimeout("recv", err)
	}
	msgtrack.ToUser(m)
	return m, nil
}

// OpenContext implements sp.Socket.
func (s *Socket) OpenContext() (sp.Context, error) {
	if o, ok := s.proto.(ContextOpener); ok {
		return o.OpenContext()
	}
	return nil, fmt.Errorf("%w: %s sockets have no contexts", sp.ErrNotSupported, s.info.SelfName)
}

// Close implements sp.Socket.
func (s *Socket) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.closing)
	eps := make([]endpoint, 0, len(s.endpoints))
	for e := range s.endpoints {
		eps = append(eps, e)
	}
	pipes := make([]*Pipe, 0, len(s.pipes))
	for _, p := range s.pipes {
		pipes = append(pipes, p)
	}
	s.mu.Unlock()

	for _, e := range eps {
		e.stop()
	}
	for _, p := range pipes {
		p.Close()
	}
	s.proto.Close()
	s.RecvQ.Close()
	s.wg.Wait()
	s.closeHooks()
	close(s.done)
	return nil
}

// Pipes returns the pipes now joined to the socket.
func (s *Socket) Pipes() []*Pipe {
	s.mu.Lock()
	defer s.mu.Unlock()
	ps := make([]*Pipe, 0, len(s.pipes))
	for _, p := range s.pipes {
		ps = append(ps, p)
	}
	return ps
}

// addPipe judges a connection whose handshake is done and, if it is
// welcome, makes it a pipe of the socket and starts its goroutines.
func (s *Socket) addPipe(conn sp.TransportConn, ep endpoint) (*Pipe, error) {
	if peer := conn.PeerProtocol(); peer != s.info.Peer {
		ep.base().count(func(c *conns) *atomic.Uint64 { return &c.rejected })
		discardConn(conn)
		return nil, fmt.Errorf("%w: peer protocol is 0x%x, a %s socket needs %s (0x%x)",
			sp.ErrBadProtocol, peer, s.info.SelfName, s.info.PeerName, s.info.Peer)
	}
	p := newPipe(s, conn, ep, ep.options())
	if !s.callHook(sp.PipeAdding, p) {
		ep.base().count(func(c *conns) *atomic.Uint64 { return &c.rejected })
		discardConn(conn)
		return nil, errRejected
	}
	s.mu.Lock()
	err := sp.ErrClosed
	if !s.closed && !ep.isStopped() {
		err = s.proto.AddPipe(p)
	}
	if err != nil {
		s.mu.Unlock()
		discardConn(conn)
		if err != sp.ErrClosed {
			ep.base().count(func(c *conns) *atomic.Uint64 { return &c.rejected })
		}
		return nil, err
	}
	ep.base().count(func(c *conns) *atomic.Uint64 { return &c.connects })
	s.pipes[p.id] = p
	s.npipes.Store(int32(len(s.pipes)))
	s.updateSendLimit()
	s.updateSolo()
	s.joined.Broadcast()
	if p.eager {
		s.wg.Add(1) // the reader: an eager pipe has no writer
	} else {
		s.wg.Add(2)
	}
	s.mu.Unlock()
	s.callHook(sp.PipeAdded, p)
	s.logInfo("pipe added", "pipe", p.id, "url", ep.URL(), "peer", conn.RemoteAddr())
	go p.reader()
	if !p.eager {
		go p.out.writer()
	}
	return p, nil
}

// updateSolo keeps solo up to date as pipes come and go; under mu.
func (s *Socket) updateSolo() {
	if !s.ReadsInRecv {
		return
	}
	if len(s.pipes) == 1 {
		for _, p := range s.pipes {
			s.solo.Store(p)
		}
		return
	}
	if old := s.solo.Swap(nil); old != nil && old.rr != nil {
		old.rr.reclaim()
	}
}

var errRejected = fmt.Errorf("%w: rejected by the pipe hook", sp.ErrClosed)

func (s *Socket) removePipe(p *Pipe) {
	t, _ := p.trafficNow()
	b := p.ep.base()
	s.mu.Lock()
	delete(s.pipes, p.id)
	s.npipes.Store(int32(len(s.pipes)))
	s.updateSendLimit()
	s.updateSolo()
	s.retired.add(t)
	b.retired.add(t)
	s.mu.Unlock()
	b.count(func(c *conns) *atomic.Uint64 { return &c.disconnects })
	s.proto.RemovePipe(p)
	s.callHook(sp.PipeRemoved, p)
	if quiet(p.reason) {
		s.logInfo("pipe removed", "pipe", p.id, "url", p.ep.URL(), "reason", p.reason)
	} else {
		s.logWarn("pipe removed", "pipe", p.id, "url", p.ep.URL(), "reason", p.reason)
	}
	close(p.removed)
}

func (s *Socket) logger() *slog.Logger {
	l := s.log.Load()
	if l == nil {
		return nil
	}
	if name := Get(s.opts, sp.SocketName); name != "" {
		return l.With("socket", name)
	}
	return l.With("socket", s.info.SelfName)
}

func (s *Socket) logInfo(msg string, args ...any) {
	if l := s.logger(); l != nil {
		l.Info(msg, args...)
	}
}

func (s *Socket) logWarn(msg string, args ...any) {
	if l := s.logger(); l != nil {
		l.Warn(msg, args...)
	}
}
