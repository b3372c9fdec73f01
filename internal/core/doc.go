// Package core is the socket engine behind every sp.Socket: pipes, dialers
// that reconnect, listeners, queues, options and the socket's lifecycle. A
// protocol package supplies a Protocol and calls NewSocket; a transport
// plugs in through sp.Transport and the capabilities listed at sp.ConnAs.
//
// # The parts
//
//   - Socket implements sp.Socket over a Protocol. It owns the pipes, the
//     endpoints, the receive queue RecvQ, the send gate (CheckSend) and the
//     statistics (Stats, Counter, Dropped).
//   - Pipe is one connection to one peer. Its I/O has a send half, a
//     sender: queuedSender (sendqueued.go: a send Queue and a writer
//     goroutine) or, for a connection that is its own send queue
//     (sp.EagerSender: inproc), eagerSender (sendeager.go: no queue, no
//     writer); and a receive half: the reader goroutine (reader.go) and the
//     read role (below). Pipe.traffic is its one traffic counter.
//   - Queue is a bounded FIFO of messages: a pipe's send queue, RecvQ.
//   - The dialer (dialer.go) and the listener (endpoint.go) are the
//     endpoints: they connect or accept, run the handshake and call addPipe.
//   - Protocol is a pattern's rules. Protocols build on RoundRobin, PipeSet,
//     Pipe.SendOrDrop, Deliver and RecvQueued.
//   - A pipe's read role (recvdirect.go) lets a receiver read the socket's
//     only pipe in its own goroutine; the role watcher (rolewatch*.go)
//     hands it back when the peer leaves.
//   - Options holds typed option values of a socket and of its endpoints,
//     which inherit what they do not set; Define declares one.
//   - stats.go counts traffic per pipe, connection events per endpoint and
//     drops by DropReason.
//
// # A message from Send to the wire
//
//	caller's goroutine
//	  Socket.Send            (sp.Socket.Send) copies b into an sp.Message
//	  Socket.SendMsg
//	    CheckSend            the gate: ErrStopped once Shutdown has begun
//	    Protocol.SendMsg     push: RoundRobin.Send, RoundRobin.TrySend
//	      Pipe.TrySend       or Pipe.Send, which waits for room:
//	      sender.trySend     the pipe's send half
//	        SendNow          direct: eagerSender, or a queuedSender's turn
//	        q.TryPut         otherwise: the queuedSender's send Queue
//	writer goroutine         queuedSender.writer, one per pipe
//	  q.Wait, then under queuedSender.wmu writeBatch:
//	    q.GetAll, conn.Send per message, conn.Flush once
//	transport connection
//
// RoundRobin.Send (push, pair, req) tries each pipe and, when none has
// room, waits for Socket.Room, which a writer broadcasts as it empties its
// queue; rep and respondent find the pipe in a PipeSet and call
// Pipe.SendOrDrop (TrySend, then Send); pub, bus, star and surveyor call
// PipeSet.Broadcast, which only TrySends.
//
// Pipe.TrySend never blocks. Over an eager connection every send calls
// sp.DirectSender.SendNow from the sender's goroutine: the connection is
// the queue, and its NotifyRoom callback wakes senders waiting for room.
// Over tcp and ipc a send goes direct only on a turn, granted when a
// receiver returned a message it read itself (see below, and
// sender.grantTurn): trySendNow takes wmu with TryLock, requires an empty
// queue, and calls SendNow; if SendNow left bytes buffered it kicks the
// writer to flush. Otherwise the message goes to the send queue. The writer gathers what is queued, up to
// maxBatchBytes, writes each message with Send and calls Flush once it
// finds the queue empty. A write error closes the pipe.
//
// # And back
//
//	reader goroutine         Pipe.reader (reader.go), one per pipe
//	  conn.Recv(RecvMaxSize)
//	  Protocol.Received(p, m)   Socket.Deliver appends to p.batch
//	  Pipe.flush             RecvQ.PutBatch, as Socket.Delivery says
//	caller's goroutine
//	  Socket.RecvMsg, Protocol.RecvMsg, Socket.RecvQueued: RecvQ
//
// A protocol may answer a message in Received itself, on the goroutine that
// read it (rep's and respondent's Server.Inline): Pipe.Reply writes the
// answer into the connection's buffer under queuedSender.wmu when nothing
// is queued before it (sendBuffered), and the reader flushes those answers
// in one write once it has nothing more to read (flushBuffered); otherwise
// the answer takes the send queue.
//
// The reader flushes its batch after maxBatch messages or once the
// connection (sp.BufferedConn) holds no whole frame. Deliver is the one
// way from a pipe to RecvQ, and Socket.Delivery, set once by the protocol,
// says what a message that finds no room does: with WaitForRoom (pair,
// pair1, pull, rep, req, respondent, surveyor) PutBatch waits for room,
// which pushes back on the peer, until the pipe closes or Shutdown lingers
// (Pipe.stopWaiting), then drops it; with DropWhenFull (bus, star, sub) it
// is dropped at once, and counted. A read error closes the pipe. Contexts
// keep what they receive in their own state instead (a sub context's
// queue, a request's reply, a survey's answers), offered without waiting.
//
// The receive fast path: for protocols that set Socket.ReadsInRecv (pair,
// pair1, pull: Received only delivers), a socket with exactly one pipe
// (Socket.solo) lets the goroutine in Recv read that pipe itself, so that a
// message and its reply cross with no goroutine hand-off. The pipe has a
// read role if its connection is an sp.ResumableConn and either an
// sp.EndNotifier (inproc) or a syscall.Conn the role watcher can watch (tcp
// and ipc, on Linux only). Where the role is, is one state, readRole.st:
// roleReader, roleAsked, then roleIdle and roleBusy in turn while receivers
// hold it, roleBack for one that must give it back. It passes so:
//
//   - A receiver that finds the role with the reader asks for it
//     (roleAsked), interrupts the reader's Recv with a read deadline in the
//     past, and waits on RecvQ or for the hand-over (readRole.given).
//   - The reader's Recv times out; Pipe.yield arranges to learn of the
//     peer's end (watchRole: the watcher, or NotifyEnd), hands the role to
//     receivers and waits until it comes back (readRole.returned) or the
//     pipe closes.
//   - Receivers hold it one at a time (roleIdle, roleBusy: one
//     compare-and-swap a message): recvDirect reads and runs Received,
//     readAhead takes in whole frames already buffered, and doneReading
//     keeps the role for the next call and grants the next send a turn.
//   - giveBack returns it to the reader when a second pipe joins
//     (updateSolo, reclaim), when receivers contend (they then leave it for
//     contendedCalls calls), when the pipe closes, and when the peer ends
//     the connection while nobody reads: the role watcher, one goroutine
//     for the process blocked in epoll_wait for EPOLLRDHUP, calls
//     readRole.stirred (an inproc connection calls it itself).
//
// # Goroutines, Close and Shutdown
//
// Socket.wg counts a socket's goroutines; every Add is made under
// Socket.mu before closed is set, or by a goroutine already counted:
//
//   - one per started endpoint (epBase.start): listener.run, or dialer.run;
//     for DialContext, and Dial with sp.DialSync, the count also covers the
//     first attempt, made on the caller's goroutine
//   - one per accepted connection, running its handshake and addPipe
//   - a reader and a writer per pipe (addPipe); an eager pipe has only a
//     reader, and its Pipe.wrote is closed from the start
//
// The hook goroutine (see Hooks) is the socket's but not in wg; the role
// watcher is the process's, not a socket's. Close marks the socket closed,
// stops the endpoints, closes every pipe (which ends its reader's Recv and
// its writer's wait), calls Protocol.Close, closes RecvQ, waits for wg,
// lets the hook goroutine finish, and closes done. A reader exits last for
// its pipe: it takes the read role back if receivers hold it, reads an
// inproc connection to its end freeing what it holds (Pipe.discard; a
// connection turned away before it became a pipe, discardConn), waits for
// the writer, then removePipe calls RemovePipe, queues PipeRemoved for the
// hook and closes the pipe's removed channel. A dialer's or listener's
// Close waits for its pipes to be removed and for its goroutine. Shutdown
// closes the gate,
// stops the endpoints, seals every pipe, waits until each has written out
// what it holds (Pipe.settled), half-closes what can be and waits for the
// peer to close (linger), then calls Close and waits for done.
//
// # Lock order
//
// The package's mutexes, outermost first; a goroutine holding one takes
// only mutexes below it:
//
//	epBase.mu         an endpoint's started; start takes Socket.mu under it
//	Socket.mu         pipes, endpoints, closed
//	Options.mu        RWMutex; SetOptionValue runs the option's apply under it
//	(a protocol's own mutexes)
//	RoundRobin.mu     held across Pipe.TrySend
//	PipeSet.mu        RWMutex; Broadcast holds it across Pipe.TrySend
//	queuedSender.wmu  held by whoever writes the connection
//	readRole.mu       a pipe's read role
//	watcher.mu        the role watcher's set (Linux)
//	Queue.mu          leaf
//	countersMu        leaf
//
// The nestings: Socket.mu → readRole.mu (updateSolo, reclaim) and a
// protocol's locks (AddPipe); Options.mu → Queue.mu (sp.RecvQueueLen's
// apply) and a protocol's lock (req's and surveyor's apply); RoundRobin.mu
// and PipeSet.mu → queuedSender.wmu (TryLock only), Queue.mu and, through
// closeWith, readRole.mu; queuedSender.wmu → Queue.mu (writeBatch, unsent);
// readRole.mu → watcher.mu, and Queue.mu (giveBack on a closed pipe).
// A protocol's locks come before the helpers' (req's AddPipe takes its
// mutex, then RoundRobin.TrySend). Socket.mu and Options.mu never nest (no
// AddPipe reads an option); the watcher calls stirred only after releasing
// watcher.mu. Queue.mu, countersMu, watcher.mu and Options.mu's read lock
// are leaves among these locks.
//
// Transport calls under a lock: queuedSender.wmu is held across Send, Flush,
// SendNow and CloseWrite; readRole.mu across SetReadDeadline, NotifyEnd
// and RawConn.Control; watcher.mu across RawConn.Control; RoundRobin.mu and
// PipeSet.mu across SendNow and, when it fails, Close. Socket.mu is held
// across the counters and addresses (Stats), through reclaim across
// SetReadDeadline and NotifyEnd, and across whatever AddPipe does (req's
// sends waiting requests: SendNow over inproc); core never calls Send,
// Flush, Recv or Handshake under it. Queue.mu, countersMu, epBase.mu and
// Options.mu are never held across a transport call.
//
// Protocol calls under a lock: Protocol.AddPipe is called with Socket.mu
// held, which serializes AddPipe calls, so AddPipe must not call what takes
// Socket.mu: Close, Shutdown, Pipes, Stats, WaitPeers, Dial, Listen. An
// option's apply function runs under Options.mu, so it must not read an
// option. No lock is held across Received, RemovePipe, SendMsg, RecvMsg,
// Protocol.Close or a hook.
//
// # Hooks
//
// The sp.PipeHook runs on the socket's hook goroutine (hooks.go), which
// delivers queued events one at a time, in order, with no lock of the
// package held. addPipe queues PipeAdding and waits for the answer, or for
// the socket or the pipe's endpoint to close (the pipe is then rejected);
// PipeAdded (from addPipe) and PipeRemoved (from removePipe) are queued and
// not waited for. So no goroutine that Close, Shutdown or an endpoint's
// Close waits for ever waits for a hook past their start, and a hook may
// call them. The hook goroutine is not in wg: Close, once wg is done, lets
// it deliver what is queued and waits for it to exit, unless Close runs on
// the hook goroutine (a hook calling Close: see goid).
package core
