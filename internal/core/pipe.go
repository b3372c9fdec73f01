package core

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"

	"github.com/spgo/sp"
)

var lastPipeID atomic.Uint32

// Pipe is one connection of a socket to a peer. Its I/O has two halves:
//
//   - the send half, a sender: a queuedSender (sendqueued.go: a send queue
//     and a writer goroutine) or, when the connection is its own send queue
//     (sp.EagerSender: inproc), an eagerSender (sendeager.go: every send
//     goes direct, no writer);
//   - the receive half: the reader goroutine (reader.go) and, where the
//     socket allows it, a read role (readrole.go) that receivers may take
//     from the reader to read the connection in their own goroutine
//     (recvdirect.go).
//
// traffic is the pipe's one traffic counter; each half counts into it what
// its connection does not count itself (see trafficNow). Protocols keep
// their per-pipe state in Data. A Pipe is safe for concurrent use.
type Pipe struct {
	id      uint32
	sock    *Socket
	conn    sp.TransportConn
	ep      endpoint
	maxSize int

	// Data is the protocol's state for this pipe. The protocol sets it in
	// AddPipe, before any other goroutine can see the pipe.
	Data any

	closeOnce sync.Once
	closed    chan struct{} // closed by Close
	noWait    chan struct{} // closed by Close, or by Shutdown's linger: the reader waits for no room
	noWaitSet sync.Once
	isClosed  atomic.Bool   // set just before closed is
	wrote     chan struct{} // closed when the writer has exited (at once if eager)
	removed   chan struct{} // closed when the pipe has left the socket
	reason    error

	traffic traffic

	// out is the send half; eager says it is an eagerSender, whose
	// connection delivers whole messages.
	out   sender
	eager bool
	// sendLimit is the largest message the connection carries
	// (sp.SendLimiter); 0: no limit.
	sendLimit int

	// batch is what Received delivered and the reader has not queued yet;
	// only the goroutine reading the connection touches it.
	batch []*sp.Message
	more  sp.BufferedConn // nil if the transport cannot tell
	rc    sp.RecvCounter  // the connection counts what it receives; nil if not

	// rr is the pipe's read role, which receivers may take from the reader
	// goroutine (see recvdirect.go); nil when they may not.
	rr *readRole
}

// sender is the send half of a pipe (see Pipe).
type sender interface {
	// trySend hands m on if there is room, without blocking, and reports
	// whether it did; on false the caller keeps m.
	trySend(m *sp.Message) bool
	// send hands m on, waiting for room; on error the caller keeps m.
	send(ctx context.Context, m *sp.Message, dl *Deadline) error
	// sendBuffered hands m on without waiting for room, writing it into
	// the connection's buffer where it can, and reports whether it did;
	// flushBuffered writes out what it buffered. They are the reader
	// goroutine's (Pipe.Reply).
	sendBuffered(m *sp.Message) bool
	flushBuffered()
	// grantTurn says a receiver returned a message it read itself, so
	// that the next send may go straight to the connection.
	grantTurn()
	// writer is the body of the pipe's writer goroutine, if it has one.
	writer()
	// sent returns what the connection wrote, and how many messages wait.
	sent() (msgs, bytes uint64, queued int)
	// close ends the half, when the pipe closes: waiting senders and the
	// writer return.
	close()
	// seal, settled, unsent and closeWrite are Shutdown's (shutdown.go):
	// take no more; written out?; how many taken were not written;
	// half-close the connection once written out.
	seal()
	settled() bool
	unsent() int
	closeWrite(hc sp.HalfCloser) error
}

// maxBatch is the most messages a reader gathers before queueing them.
const maxBatch = 64

func newPipe(s *Socket, conn sp.TransportConn, ep endpoint, opts *Options) *Pipe {
	// Ids are 31 bits (a backtrace word keeps its top bit for the request
	// id). They grow through the process's life; only after 2^31-1 pipes
	// would they wrap, skipping 0.
	id := lastPipeID.Add(1) & 0x7fffffff
	for id == 0 {
		id = lastPipeID.Add(1) & 0x7fffffff
	}
	more, _ := sp.ConnAs[sp.BufferedConn](conn)
	p := &Pipe{
		more:    more,
		id:      id,
		sock:    s,
		conn:    conn,
		ep:      ep,
		maxSize: Get(opts, sp.RecvMaxSize),
		closed:  make(chan struct{}),
		noWait:  make(chan struct{}),
		wrote:   make(chan struct{}),
		removed: make(chan struct{}),
	}
	queueLen := Get(s.opts, sp.SendQueueLen)
	now, _ := sp.ConnAs[sp.DirectSender](conn)
	if e, ok := sp.ConnAs[sp.EagerSender](conn); ok && now != nil && e.SendsEagerly() {
		p.out, p.eager = newEagerSender(p, e, now, queueLen), true
		close(p.wrote)
	} else {
		p.out = newQueuedSender(p, conn, queueLen, s.stopped)
	}
	p.rc, _ = sp.ConnAs[sp.RecvCounter](conn)
	if sl, ok := sp.ConnAs[sp.SendLimiter](conn); ok {
		p.sendLimit = sl.SendLimit()
	}
	if res, ok := sp.ConnAs[sp.ResumableConn](conn); ok && res.Resumable() && s.ReadsInRecv {
		p.rr = newReadRole(p, res)
	}
	return p
}

// ID implements sp.Pipe.
func (p *Pipe) ID() uint32 { return p.id }

// LocalAddr implements sp.Pipe.
func (p *Pipe) LocalAddr() net.Addr { return p.conn.LocalAddr() }

// RemoteAddr implements sp.Pipe.
func (p *Pipe) RemoteAddr() net.Addr { return p.conn.RemoteAddr() }

// PeerProtocol implements sp.Pipe.
func (p *Pipe) PeerProtocol() uint16 { return p.conn.PeerProtocol() }

// OptionValue implements sp.Pipe: it asks the transport connection.
func (p *Pipe) OptionValue(name string) (any, error) {
	if g, ok := p.conn.(sp.OptionGetter); ok {
		return g.OptionValue(name)
	}
	return nil, fmt.Errorf("%w: a %T pipe has no property %q", sp.ErrBadOption, p.conn, name)
}

// Close implements sp.Pipe.
func (p *Pipe) Close() error {
	p.closeWith(sp.ErrClosed)
	return nil
}

// CloseWith closes the pipe for the reason err, which the socket logs and
// counts (an error wrapping sp.ErrMalformed counts as a malformed-message
// drop): protocols call it when a peer breaks the wire format.
func (p *Pipe) CloseWith(err error) {
	p.sock.droppedFor(err)
	p.closeWith(err)
}

// trafficNow returns what the pipe carried so far, and its send queue's
// length: the pipe's own counts, with the connection's where it counts
// (sp.RecvCounter; the sender's sent).
func (p *Pipe) trafficNow() (t sp.Traffic, queued int) {
	t = p.traffic.snapshot()
	if p.rc != nil {
		t.MsgsRecv, t.BytesRecv = p.rc.RecvCounts()
	}
	t.MsgsSent, t.BytesSent, queued = p.out.sent()
	return t, queued
}

// countRecv counts messages the pipe received, unless the connection counts
// them.
func (p *Pipe) countRecv(msgs, bytes uint64) {
	if p.rc == nil {
		p.traffic.msgsRecv.Add(msgs)
		p.traffic.bytesRecv.Add(bytes)
	}
}

// Socket returns the socket the pipe belongs to.
func (p *Pipe) Socket() *Socket { return p.sock }

// Closed returns a channel closed when the pipe closes.
func (p *Pipe) Closed() <-chan struct{} { return p.closed }

// TrySend queues m for the pipe if its queue has room, and reports whether it
// did; on false the caller keeps m.
func (p *Pipe) TrySend(m *sp.Message) bool {
	if p.overLimit(m) {
		return true
	}
	return p.out.trySend(m)
}

// Send queues m for the pipe, waiting for room. On error the caller keeps m;
// the error is sp.ErrClosed if the pipe closed.
func (p *Pipe) Send(ctx context.Context, m *sp.Message, dl *Deadline) error {
	if p.overLimit(m) {
		return nil
	}
	return p.out.send(ctx, m, dl)
}

// Reply sends m, an answer to a message p delivered, from the goroutine
// that read that message (the protocol's Received): into the connection's
// buffer when nothing is queued before it, to be written out with the
// answers to the other messages read together once the reader has nothing
// more to read; into the send queue, if it has room, otherwise. It reports
// whether it took m; on false the caller keeps m. On a pipe with a read
// role (Socket.ReadsInRecv) Received may run on a receiver's goroutine,
// which does not flush for the reader: there Reply is TrySend.
func (p *Pipe) Reply(m *sp.Message) bool {
	if p.overLimit(m) {
		return true
	}
	return (p.rr == nil && p.out.sendBuffered(m)) || p.out.trySend(m)
}

// IsClosed reports whether the pipe is closed (or closing).
func (p *Pipe) IsClosed() bool { return p.isClosed.Load() }

func (p *Pipe) closeWith(err error) {
	p.closeOnce.Do(func() {
		p.reason = err
		p.isClosed.Store(true)
		close(p.closed)
		p.stopWaiting()
		if p.rr != nil {
			p.rr.unwatch() // before the descriptor can be reused
		}
		p.conn.Close()
		p.out.close()
		p.sock.flushed.Broadcast() // Shutdown may wait for it
	})
}

// quiet reports whether a pipe's close reason is an ordinary end of the
// connection rather than something to warn about.
func quiet(err error) bool {
	return err == nil || errors.Is(err, sp.ErrClosed) || errors.Is(err, io.EOF) ||
		errors.Is(err, net.ErrClosed)
}

// overLimit drops m, counting it, if it is larger than the connection
// carries (sp.SendLimiter): the socket refused what its user sent over
// the limit (Socket.CheckSize); this is what a protocol's header grew past
// it.
func (p *Pipe) overLimit(m *sp.Message) bool {
	if p.sendLimit == 0 || len(m.Header)+len(m.Body) <= p.sendLimit {
		return false
	}
	m.Free()
	p.sock.Dropped(DropTooLarge)
	return true
}
