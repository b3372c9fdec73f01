package sp

import "time"

// Optional capabilities of a TransportConn. A connection that has one
// implements its interface, as an http.ResponseWriter implements
// http.Flusher; the engine looks for each with ConnAs when a pipe starts,
// and uses what it finds. None is required: a connection with none of them
// is served by a writer goroutine that batches what it sends and a reader
// goroutine that queues what it receives. A transport carries only the
// capabilities it can honor: a method that always declines costs every
// message a call for nothing.
//
// Which transports have which:
//
//	                 inproc  tcp  ipc  tls  ws  udp  zt
//	BufferedConn       x       x    x    x        x
//	SentCounter                x    x    x
//	HalfCloser                 x    x    x   x
//	DirectSender       x       x    x
//	ResumableConn      x       x    x
//	syscall.Conn               x    x
//	EagerSender        x
//	RecvCounter        x
//	WaitRecver         x
//	EndNotifier        x
//	SendLimiter                                   x
//
// (socket:// pipes over a connection without a descriptor carry only
// BufferedConn, SentCounter, and HalfCloser when the connection can.)
// DropCounter is a capability of a transport's dialer or listener, not of
// a connection: udp's have it.
//
// A connection that wraps another (to count, trace or throttle, say) keeps
// the inner one's capabilities by implementing ConnUnwrapper: ConnAs then
// finds them on the inner connection. Only a wrapper that passes every
// message through unchanged should: the engine calls the inner
// connection's methods directly (SendNow, say, bypasses the wrapper's Send).

// BufferedConn is a connection that can tell, from Recv's goroutine,
// whether a whole message is already at hand, so that Recv would return at
// once: the engine then gathers what it delivers and queues it together.
type BufferedConn interface {
	Buffered() bool
}

// SentCounter is a connection that counts the messages, and their bytes
// (header and body), it has written out whole: a message Send took may
// still sit in the connection's buffer, and a write cut short by a close
// carries only some of what was sent, so only the connection knows what
// reached the wire. The pipe's sent traffic, and what Socket.Shutdown
// reports as dropped, come from it; without it, the pipe counts what it
// handed to Send.
type SentCounter interface {
	SentCounts() (msgs, bytes uint64)
}

// HalfCloser is a connection that can end its sending side while it still
// receives (a FIN over tcp and ipc, a close_notify over tls, a close frame
// over ws): the peer reads everything sent, then the end, and closes.
// Socket.Shutdown uses it to wait until the peer has read all it was sent.
// It is called after the last Flush, never with Send or Flush running.
type HalfCloser interface {
	CloseWrite() error
}

// DirectSender is a connection that can take a message from a sending
// goroutine without blocking. SendNow takes m, or reports false and leaves
// it to the caller; more reports that it took m but holds some of it for
// the next Flush. The engine calls it, instead of Send, when nothing is
// queued before m and no Send or Flush is running: for every send over a
// connection that gains nothing from batching (an EagerSender), and over a
// ResumableConn for the reply to a message a receiver read itself.
type DirectSender interface {
	SendNow(m *Message) (taken, more bool, err error)
}

// ResumableConn is a connection whose Recv a read deadline interrupts
// without loss: Recv then returns an error whose Timeout method reports
// true, and the next Recv goes on with a frame cut short. Receivers of a
// socket with one pipe (pair, pair1, pull) then read the pipe in their own
// goroutine, when the engine can also learn that the peer left while
// nobody reads: the connection is an EndNotifier, or a syscall.Conn whose
// descriptor the engine watches (on Linux). Resumable reports whether the
// connection can resume now (a wrapper may not always).
type ResumableConn interface {
	SetReadDeadline(t time.Time) error
	Resumable() bool
}

// EndNotifier is a connection that calls a function when it ends.
// NotifyEnd arranges for f to be called once when the connection ends,
// from the goroutine that closes it; nil removes it. It reports false,
// registering nothing, if the connection has already ended.
type EndNotifier interface {
	NotifyEnd(f func()) bool
}

// EagerSender is a connection that is its pipe's send queue (inproc), of
// SetSendQueueLen messages, in place of the pipe's queue and writer
// goroutine: when SendsEagerly reports true and the connection is also a
// DirectSender, every send goes through SendNow, which several senders may
// then call at once (the engine never calls Send or Flush). When SendNow
// finds it full, the connection calls what NotifyRoom registered once it
// has room. SendCounts returns what the connection took (messages and
// bytes) and how much of it the peer has yet to receive: the pipe's sent
// traffic and send queue.
type EagerSender interface {
	SendsEagerly() bool
	NotifyRoom(f func())
	SetSendQueueLen(n int)
	SendCounts() (msgs, bytes uint64, queued int)
}

// RecvCounter is a connection that counts what it receives at no cost,
// exactly whenever the receiving end has taken all there is: the pipe then
// counts nothing received itself.
type RecvCounter interface {
	RecvCounts() (msgs, bytes uint64)
}

// WaitRecver is a connection that can hand a message straight to a
// receiver that is waiting (inproc). RecvOrWait returns the next message,
// or, when there is none yet, a channel to wait on, which gives either nil
// (look again, by calling RecvOrWait) or a message handed over, which
// Handed then returns as Recv would; errors are those of Recv.
type WaitRecver interface {
	RecvOrWait(max int) (*Message, <-chan *Message, error)
	Handed(m *Message, max int) (*Message, error)
}

// SendLimiter is a connection that cannot carry a message over SendLimit
// bytes (header and body), as a datagram transport that never fragments
// (udp). SendLimit is asked once, when the pipe joins. The socket refuses
// a larger message at Send with an error wrapping ErrTooLarge, while one
// of its pipes has a limit it exceeds; a message that grows past a pipe's
// limit on its way (a protocol's header) is dropped for that pipe and
// counted in Stats().Drops.TooLarge. The connection never sees it.
type SendLimiter interface {
	SendLimit() int
}

// DropCounter is a transport's dialer or listener (a TransportDialer or
// TransportListener) that drops messages below its connections, where no
// pipe sees them (udp: a datagram from an address with no connection, a
// malformed one, a message a connection's full queue lost). Drops returns
// its counts so far; the socket adds them to Stats().Drops, and keeps them
// once the endpoint closes.
type DropCounter interface {
	Drops() Drops
}

// ConnUnwrapper is a connection that wraps another and lends it its
// capabilities: ConnAs looks for a capability on the connection, then on
// what Unwrap returns, and so on.
type ConnUnwrapper interface {
	Unwrap() TransportConn
}

// ConnAs reports whether c, or a connection it wraps (see ConnUnwrapper),
// has the capability T, and returns the first one that does.
//
//	if hc, ok := sp.ConnAs[sp.HalfCloser](c); ok {
//		err = hc.CloseWrite()
//	}
func ConnAs[T any](c TransportConn) (T, bool) {
	for c != nil {
		if v, ok := c.(T); ok {
			return v, true
		}
		u, ok := c.(ConnUnwrapper)
		if !ok {
			break
		}
		c = u.Unwrap()
	}
	var zero T
	return zero, false
}
