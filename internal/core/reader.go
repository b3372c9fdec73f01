package core

import (
	"runtime"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/msgtrack"
)

// reader is the pipe's reader goroutine: it reads the connection, hands each
// message to the protocol (Protocol.Received, which delivers to p.batch
// through Socket.Deliver) and queues the batch (flush). When a receiver
// asks for the pipe's read role (readrole.go), the connection's read times
// out and the reader yields the role until it comes back. It exits last for
// its pipe: once the connection ends, it waits for the writer and removes
// the pipe from the socket.
func (p *Pipe) reader() {
	defer p.sock.wg.Done()
	for {
		m, err := p.conn.Recv(p.maxSize)
		if err != nil && p.rr != nil && isTimeout(err) {
			p.out.flushBuffered()
			p.flush() // empty as a rule: nothing was buffered
			if !p.yield() {
				p.discard(nil) // what the peer sent while receivers held the role
				break
			}
			// The role is back: first what receivers read ahead.
			p.batch = append(p.batch, p.rr.takeAhead()...)
			p.flush()
			continue
		}
		if err != nil {
			p.out.flushBuffered()
			p.flush()
			p.sock.droppedFor(err)
			p.closeWith(err)
			p.discard(nil) // an inproc message over the limit leaves the rest unread
			break
		}
		msgtrack.ToLibrary(m)
		if p.IsClosed() {
			// A protocol closed the pipe over an earlier message: what
			// the peer sent after it is not delivered.
			p.discard(m)
			p.flush()
			break
		}
		p.countRecv(1, uint64(len(m.Body)))
		m.SetPipe(p)
		p.sock.proto.Received(p, m)
		if p.more == nil || !p.more.Buffered() {
			p.out.flushBuffered()
			p.flush()
		} else if len(p.batch) >= maxBatch {
			p.flush()
		}
	}
	if p.rr != nil {
		p.rr.stop()
	}
	<-p.wrote
	p.sock.removePipe(p)
}

// discard frees m (if any), read from a closed pipe. An eager connection
// (inproc) holds whole messages, which nobody reads once the pipe is
// closed: discard reads it on to its end, freeing them. Other connections
// hold bytes, which their Close drops; reading them on would take in, and
// throw away, what the peer sends until the pipe's Close reaches the
// connection (the pipe is closed before its connection is), letting the
// peer believe it was delivered.
func (p *Pipe) discard(m *sp.Message) {
	if m != nil {
		m.Free()
	}
	if p.eager {
		freeRest(p.conn)
	}
}

// discardConn closes conn, which no pipe reads, and frees what it already
// holds: over inproc the peer may have sent whole messages on it before
// this end turned it away, and they are this end's to free.
func discardConn(conn sp.TransportConn) {
	conn.Close()
	if e, ok := sp.ConnAs[sp.EagerSender](conn); ok && e.SendsEagerly() {
		freeRest(conn)
	}
}

// freeRest reads conn, an eager connection that is closed or closing, to
// its end and frees what it returns (with no size limit: a message over
// RecvMaxSize would stop it short).
func freeRest(conn sp.TransportConn) {
	for {
		m, err := conn.Recv(0)
		if err != nil {
			return
		}
		m.Free()
	}
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
