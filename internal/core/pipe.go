package core

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/spgo/sp"
)

var lastPipeID atomic.Uint32

// Pipe is one connection of a socket to a peer, with one reader and one
// writer goroutine (no writer, and no send queue, when the connection is
// its own send queue: see sp.EagerSender). Protocols keep their per-pipe
// state in Data. A Pipe is safe for concurrent use.
type Pipe struct {
	id      uint32
	sock    *Socket
	conn    sp.TransportConn
	ep      endpoint
	sendq   *Queue // nil when eager
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

	// batch is what Received delivered and the reader has not queued yet;
	// only the reader goroutine touches it.
	batch []*sp.Message
	more  sp.BufferedConn // nil if the transport cannot tell

	// The direct path (see trySendNow). wmu is held by whoever writes to
	// the connection: the writer for a batch, or a sender going direct.
	// Over inproc, which has nothing to gain from batching, every send
	// goes direct (sp.EagerSender). Over tcp and ipc only the send that
	// follows a message a receiver read in its own goroutine does (see
	// readRole.turn): a reply, which would otherwise wait for the writer
	// goroutine to wake; a stream of sends keeps going through the writer,
	// which batches them.
	now        sp.DirectSender // nil if the transport has no direct path
	eager      sp.EagerSender  // every send goes direct; nil if not
	rc         sp.RecvCounter  // the connection counts what it receives; nil if not
	sc         sp.SentCounter  // the connection counts what it writes; nil if not
	room       chan struct{}   // a token: the connection has room (eager)
	flushYield yielder         // whether the writer yields before it flushes; under wmu
	// sendLimit is the largest message the connection carries
	// (sp.SendLimiter); 0: no limit.
	sendLimit int
	wmu       sync.Mutex

	// Under wmu: the messages SendNow took (not eager), and whether the
	// connection holds some of one for the writer's next Flush.
	direct    uint64
	unflushed bool
	// sealed: Shutdown has drained the pipe and nothing more goes direct.
	sealed atomic.Bool

	// rr is the pipe's read role, which receivers may take from the reader
	// goroutine (see recvdirect.go); nil when they may not.
	rr *readRole
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
	now, _ := sp.ConnAs[sp.DirectSender](conn)
	p := &Pipe{
		now:     now,
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
	if e, ok := sp.ConnAs[sp.EagerSender](conn); ok && now != nil && e.SendsEagerly() {
		// The connection is the send queue: no queue, no writer.
		p.eager = e
		close(p.wrote)
		p.room = make(chan struct{}, 1)
		e.SetSendQueueLen(Get(s.opts, sp.SendQueueLen))
		e.NotifyRoom(func() {
			signal(p.room)
			s.Room.Broadcast()
		})
	}
	if p.eager == nil {
		p.sendq = NewQueue(Get(s.opts, sp.SendQueueLen))
		p.sendq.stop = s.stopped
		p.sc, _ = sp.ConnAs[sp.SentCounter](conn)
	}
	p.rc, _ = sp.ConnAs[sp.RecvCounter](conn)
	if sl, ok := sp.ConnAs[sp.SendLimiter](conn); ok {
		p.sendLimit = sl.SendLimit()
	}
	if res, ok := sp.ConnAs[sp.ResumableConn](conn); ok && res.Resumable() {
		if s.ReadsInRecv {
			p.rr = newReadRole(p, res)
		}
		if p.rr == nil && p.eager == nil {
			p.now = nil // no turns: every send goes through the writer
		}
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
// length.
func (p *Pipe) trafficNow() (t sp.Traffic, queued int) {
	t = p.traffic.snapshot()
	if p.rc != nil {
		t.MsgsRecv, t.BytesRecv = p.rc.RecvCounts()
	}
	if p.eager != nil {
		msgs, bytes, n := p.eager.SendCounts()
		t.MsgsSent += msgs
		t.BytesSent += bytes
		return t, n
	}
	if p.sc != nil {
		t.MsgsSent, t.BytesSent = p.sc.SentCounts()
	}
	return t, p.sendq.Len()
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
	if p.eager != nil {
		// Straight to the connection, which may take m from several
		// senders at once (sp.EagerSender).
		if p.IsClosed() {
			return false
		}
		taken, _, err := p.now.SendNow(m) // it counts for itself
		if taken && err != nil && !errors.Is(err, sp.ErrClosed) {
			// The connection broke. (One the peer ended is left to
			// the reader, which reads what the peer sent before it
			// ended, then the end, and closes the pipe: closing it
			// here would drop that.)
			p.closeWith(err)
		}
		return taken
	}
	if p.now != nil && (p.rr == nil || p.rr.turn.CompareAndSwap(true, false)) && p.trySendNow(m) {
		return true
	}
	return p.sendq.TryPut(m)
}

// trySendNow hands m straight to the connection if nothing is queued before
// it and nobody is writing, and reports whether it did.
func (p *Pipe) trySendNow(m *sp.Message) bool {
	if !p.wmu.TryLock() {
		return false
	}
	if p.sendq.Len() > 0 || p.IsClosed() || p.sealed.Load() {
		p.wmu.Unlock()
		return false
	}
	return p.sent(m)
}

// sent calls SendNow for a pipe that is not eager, with wmu held, releases
// wmu, and does what SendNow's results ask.
func (p *Pipe) sent(m *sp.Message) bool {
	size := uint64(len(m.Header) + len(m.Body))
	taken, more, err := p.now.SendNow(m)
	if taken {
		p.direct++
		p.unflushed = more && err == nil
	}
	p.wmu.Unlock()
	switch {
	case !taken:
		return false
	case err != nil:
		p.closeWith(err)
	default:
		if p.sc == nil {
			p.traffic.msgsSent.Add(1)
			p.traffic.bytesSent.Add(size)
		}
		if more {
			p.sendq.Kick() // the writer flushes the rest
		}
	}
	if p.sock.stopping.Load() {
		p.sock.flushed.Broadcast()
	}
	return true
}

// Send queues m for the pipe, waiting for room. On error the caller keeps m;
// the error is sp.ErrClosed if the pipe closed.
func (p *Pipe) Send(ctx context.Context, m *sp.Message, dl *Deadline) error {
	if p.overLimit(m) {
		return nil
	}
	if p.eager != nil {
		return p.sendEager(ctx, m, dl)
	}
	return p.sendq.Put(ctx, m, dl, p.closed)
}

// sendEager is Send over a connection that is the pipe's send queue
// (sp.EagerSender).
func (p *Pipe) sendEager(ctx context.Context, m *sp.Message, dl *Deadline) error {
	for woke := false; ; woke = true {
		if p.TrySend(m) {
			if woke {
				signal(p.room) // pass the turn on to another waiting sender
			}
			return nil
		}
		select {
		case <-p.room:
		case <-p.sock.stopped:
			return ErrStopped
		case <-p.closed:
			return sp.ErrClosed
		case <-ctx.Done():
			return sp.ContextError(ctx)
		case <-dl.C():
			return sp.ErrTimeout
		}
	}
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
		if p.sendq != nil {
			p.sendq.Close()
		}
		p.sock.flushed.Broadcast() // Shutdown may wait for it
	})
}

func (p *Pipe) reader() {
	defer p.sock.wg.Done()
	for {
		m, err := p.conn.Recv(p.maxSize)
		if err != nil && p.rr != nil && isTimeout(err) {
			p.flush() // empty as a rule: nothing was buffered
			if !p.yield() {
				break
			}
			// The role is back: first what receivers read ahead.
			p.batch = append(p.batch, p.rr.takeAhead()...)
			p.flush()
			continue
		}
		if err != nil {
			p.flush()
			p.sock.droppedFor(err)
			p.closeWith(err)
			break
		}
		if p.IsClosed() {
			// A protocol closed the pipe over an earlier message: what
			// the peer sent after it is not delivered.
			m.Free()
			p.flush()
			break
		}
		if p.rc == nil {
			p.traffic.msgsRecv.Add(1)
			p.traffic.bytesRecv.Add(uint64(len(m.Body)))
		}
		m.SetPipe(p)
		p.sock.proto.Received(p, m)
		if len(p.batch) > 0 && (len(p.batch) >= maxBatch || p.more == nil || !p.more.Buffered()) {
			p.flush()
		}
	}
	if p.rr != nil {
		p.rr.stop()
	}
	<-p.wrote
	p.sock.removePipe(p)
}

// flush queues what Received delivered, waiting for room unless the
// protocol drops what finds none (DropWhenFull); once the pipe closes, or
// Shutdown lingers on it (see stopWaiting), what finds no room is dropped.
func (p *Pipe) flush() {
	if len(p.batch) == 0 {
		return
	}
	cancel := p.noWait
	if p.sock.Delivery == DropWhenFull {
		cancel = noRoomWait
	}
	woke, freed, _ := p.sock.RecvQ.PutBatch(p.batch, cancel)
	if freed > 0 && !p.IsClosed() {
		p.sock.drops[DropQueueFull].Add(uint64(freed))
	}
	clear(p.batch)
	p.batch = p.batch[:0]
	if woke {
		// Let the receiver run first, on this thread, while it is hot:
		// reading on (which finds nothing yet, as a rule) can wait.
		runtime.Gosched()
	}
}

func (p *Pipe) writer() {
	defer p.sock.wg.Done()
	defer close(p.wrote)
	batch := make([]*sp.Message, 0, 16)
	for p.sendq.Wait(p.closed) {
		p.wmu.Lock()
		err := p.writeBatch(&batch)
		p.wmu.Unlock()
		if err != nil {
			p.closeWith(err)
			return
		}
		if p.sock.stopping.Load() {
			p.sock.flushed.Broadcast() // Shutdown may wait for it
		}
	}
}

// quiet reports whether a pipe's close reason is an ordinary end of the
// connection rather than something to warn about.
func quiet(err error) bool {
	return err == nil || errors.Is(err, sp.ErrClosed) || errors.Is(err, io.EOF) ||
		errors.Is(err, net.ErrClosed)
}

// writeBatch writes every queued message and flushes, under wmu. Messages
// queued while it writes join the batch, up to maxBatchBytes, so that a
// sender that keeps the queue from running dry gets fewer, larger writes;
// the flush comes as soon as the queue is found empty.
//
// A connection that counts what it writes (sp.SentCounter) counts the batch;
// for any other, a message Send took without error is out, and is counted
// even if a later one fails, since it reached the peer.
func (p *Pipe) writeBatch(batch *[]*sp.Message) error {
	var msgs, bytes uint64
	yielded := false
	for bytes < maxBatchBytes {
		*batch = p.sendq.GetAll((*batch)[:0])
		if len(*batch) == 0 {
			if msgs == 0 || yielded || !p.flushYield.try() {
				break
			}
			// Before flushing, let the goroutines that are ready run
			// once, so that senders about to queue (a server's
			// handlers answering requests read together) join this
			// write: one write for many replies. Whether it pays is
			// learned per pipe (see yielder).
			yielded = true
			runtime.Gosched()
			*batch = p.sendq.GetAll((*batch)[:0])
			p.flushYield.paid(len(*batch) > 0)
			if len(*batch) == 0 {
				break
			}
		}
		p.sock.Room.Broadcast()
		for i, m := range *batch {
			(*batch)[i] = nil
			size := uint64(len(m.Header) + len(m.Body))
			if err := p.conn.Send(m); err != nil {
				for _, m := range (*batch)[i+1:] {
					m.Free()
				}
				p.countSent(msgs, bytes)
				return err
			}
			msgs++
			bytes += size
		}
	}
	err := p.conn.Flush() // with no message, what a direct send left (see Queue.Kick)
	if err == nil {
		p.unflushed = false
	}
	p.countSent(msgs, bytes)
	return err
}

// countSent counts what writeBatch wrote, unless the connection counts it.
func (p *Pipe) countSent(msgs, bytes uint64) {
	if p.sc == nil && msgs > 0 {
		p.traffic.msgsSent.Add(msgs)
		p.traffic.bytesSent.Add(bytes)
	}
}

// yielder decides whether a pipe's writer yields before it flushes (see
// writeBatch). A yield that brings more to write pays; after missPatience
// yields in a row that brought nothing (a pipe with one sender, or a
// broadcast that sends each pipe one message, as a survey does) the writer
// stops yielding, trying again once every probeEvery flushes. Only the
// goroutine holding wmu uses it.
type yielder struct {
	misses  int // yields in a row that brought nothing
	flushes int // flushes since yielding stopped
}

const (
	missPatience = 16
	probeEvery   = 8
)

// try reports whether to yield before this flush.
func (y *yielder) try() bool {
	if y.misses < missPatience {
		return true
	}
	y.flushes++
	return y.flushes%probeEvery == 0
}

// paid records whether a yield brought more to write.
func (y *yielder) paid(ok bool) {
	if ok {
		y.misses, y.flushes = 0, 0
	} else if y.misses < missPatience {
		y.misses++
	}
}

// maxBatchBytes is about the most a writer gathers before it flushes.
const maxBatchBytes = 64 << 10

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
