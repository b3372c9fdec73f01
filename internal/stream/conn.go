// Package stream is the SP mapping over a byte stream, shared by the tcp,
// ipc and tls transports: the 8-byte handshake, then length-prefixed
// frames (with a type byte before each length over ipc).
package stream

import (
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/wire"
)

// Conn implements sp.TransportConn over a net.Conn. Recv (with Buffered and
// SetReadDeadline) is called from one goroutine at a time, Send, SendNow and
// Flush from another; Close from any.
type Conn struct {
	c     net.Conn
	ipc   bool
	both  bool // the handshake writes and reads at once (see NewAdopted)
	proto uint16
	peer  uint16
	r     reader
	w     writer
}

// New returns a connection that will speak protocol proto over c; ipc selects
// the ipc framing.
func New(c net.Conn, proto uint16, ipc bool) *Conn {
	conn := &Conn{c: c, ipc: ipc, proto: proto}
	conn.r.init(c)
	conn.w.init(c, conn.r.raw, ipc)
	return conn
}

// NewAdopted is New for a connection the application made and handed over
// (sp.Socket.AddConn). One without a descriptor (net.Pipe, an SSH channel)
// may be synchronous, a write waiting for the peer's read, so its
// Handshake writes and reads at once.
func NewAdopted(c net.Conn, proto uint16, ipc bool) *Conn {
	conn := New(c, proto, ipc)
	conn.both = conn.r.raw == nil
	return conn
}

// NetConn returns the underlying connection.
func (c *Conn) NetConn() net.Conn { return c.c }

// Handshake sends our 8-byte header and reads the peer's, both before the
// deadline. Over a connection with a descriptor (tcp, ipc, a socketpair)
// the kernel buffers our header, and tls buffers it over one, so it
// writes, then reads. Over an adopted one without (net.Pipe, an SSH
// channel: see NewAdopted), where a write may wait until the peer reads,
// it writes and reads at once: two peers that both write first on a
// synchronous pipe would wait for each other forever.
func (c *Conn) Handshake(deadline time.Time) error {
	if err := c.c.SetDeadline(deadline); err != nil {
		return err
	}
	var out, b [wire.HandshakeSize]byte
	hs := wire.AppendHandshake(out[:0], c.proto)
	if !c.both {
		if _, err := c.c.Write(hs); err != nil {
			return fmt.Errorf("handshake: %w", err)
		}
		if err := c.readHandshake(b[:]); err != nil {
			return err
		}
		c.clearDeadline()
		return nil
	}
	wrote := make(chan error, 1)
	go func() {
		_, err := c.c.Write(hs)
		wrote <- err
	}()
	rerr := c.readHandshake(b[:])
	if rerr != nil {
		// The peer may never read ours: end the write now.
		c.c.SetWriteDeadline(time.Now())
	}
	werr := <-wrote
	switch {
	case rerr != nil:
		return rerr
	case isTimeout(werr):
		return fmt.Errorf("handshake: %w: the peer did not read ours in time: %w", sp.ErrTimeout, werr)
	case werr != nil:
		return fmt.Errorf("handshake: %w", werr)
	}
	c.clearDeadline()
	return nil
}

// clearDeadline lifts the handshake's deadline. It fails only on a
// connection already closed (net.Pipe's, when the peer has closed it, say
// after refusing our protocol): the handshake is done all the same, the
// engine judges the peer's protocol, and the first Recv finds the close.
func (c *Conn) clearDeadline() { _ = c.c.SetDeadline(time.Time{}) }

// readHandshake reads and checks the peer's header.
func (c *Conn) readHandshake(b []byte) error {
	if err := c.r.readFull(b); err != nil {
		c.r.drop()
		if isTimeout(err) {
			return fmt.Errorf("handshake: %w: no handshake from the peer in time", sp.ErrTimeout)
		}
		return fmt.Errorf("handshake: %w", err)
	}
	peer, err := wire.ParseHandshake(b)
	if err != nil {
		return err
	}
	c.peer = peer
	return nil
}

// PeerProtocol implements sp.TransportConn.
func (c *Conn) PeerProtocol() uint16 { return c.peer }

// Send implements sp.TransportConn.
func (c *Conn) Send(m *sp.Message) error { return c.w.send(m, c.ipc) }

// SentCounts returns the messages, and their bytes (header and body), whose
// frames were written out whole to the connection: a write that a close cut
// short counts the frames it carried whole. The engine counts a stream
// pipe's sent traffic with it.
func (c *Conn) SentCounts() (msgs, bytes uint64) { return c.w.sentCounts() }

// CloseWrite shuts the connection for writing (a FIN over tcp and ipc, a
// close_notify alert over tls) while it still receives: the peer reads what
// was sent, then the end. Call it after the last Flush.
func (c *Conn) CloseWrite() error {
	if cw, ok := c.c.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return fmt.Errorf("%w: %T cannot be shut for writing", sp.ErrNotSupported, c.c)
}

// Flush implements sp.TransportConn: it writes out what Send and SendNow
// buffered and gives the write buffer back to the pool.
func (c *Conn) Flush() error { return c.w.flush() }

// SendNow writes m at once, from the sender's goroutine, when nothing is
// buffered before it, without waiting for the connection: what the kernel
// does not take at once stays buffered, more reports it, and the next Flush
// writes it out. It does not take m (taken is false, m stays the caller's)
// when something is buffered, when m's frame is larger than the write
// buffer, or over tls. It must not run concurrently with Send or Flush.
func (c *Conn) SendNow(m *sp.Message) (taken, more bool, err error) {
	return c.w.sendNow(m, c.ipc)
}

// Recv implements sp.TransportConn. A read deadline passing (see
// SetReadDeadline) returns an error whose Timeout method reports true and
// loses nothing: a frame cut short is resumed by the next Recv. Any other
// error ends the connection's reading.
func (c *Conn) Recv(max int) (*sp.Message, error) {
	m, err := c.r.readFrame(c.ipc, max)
	if err != nil && !(c.r.raw != nil && isTimeout(err)) {
		c.r.drop()
	}
	return m, err
}

// SetReadDeadline sets the deadline of Recv, which may be running: a time
// in the past interrupts it.
func (c *Conn) SetReadDeadline(t time.Time) error { return c.c.SetReadDeadline(t) }

// SyscallConn returns the connection's descriptor, which tls connections
// do not expose.
func (c *Conn) SyscallConn() (syscall.RawConn, error) {
	if c.r.raw == nil {
		return nil, fmt.Errorf("%w: no descriptor under %T", sp.ErrNotSupported, c.c)
	}
	return c.r.raw, nil
}

// Resumable reports whether a read deadline interrupts Recv without loss,
// which it does over tcp and ipc (tls, whose records Recv cannot resume,
// does not).
func (c *Conn) Resumable() bool { return c.r.raw != nil }

// Buffered reports whether a whole frame is already buffered, so that Recv
// would return without reading. It is called from Recv's goroutine.
func (c *Conn) Buffered() bool { return c.r.frameBuffered(c.ipc) }

// LocalAddr implements sp.TransportConn.
func (c *Conn) LocalAddr() net.Addr { return c.c.LocalAddr() }

// RemoteAddr implements sp.TransportConn.
func (c *Conn) RemoteAddr() net.Addr { return c.c.RemoteAddr() }

// Close implements sp.TransportConn.
func (c *Conn) Close() error { return c.c.Close() }

// DialError turns a dial failure into sp's vocabulary: a refused or missing
// endpoint wraps sp.ErrConnRefused.
func DialError(err error) error {
	if IsRefused(err) || errors.Is(err, os.ErrNotExist) || errors.Is(err, syscall.ENOENT) {
		return fmt.Errorf("%w: %w", sp.ErrConnRefused, err)
	}
	return err
}

// ListenError turns a listen failure into sp's vocabulary: an address in use
// wraps sp.ErrAddrInUse.
func ListenError(err error) error {
	if errors.Is(err, syscall.EADDRINUSE) {
		return fmt.Errorf("%w: %w", sp.ErrAddrInUse, err)
	}
	return err
}

// Listener implements sp.TransportListener over a net.Listener made by a
// function, for the stream transports. It is safe for concurrent use.
type Listener struct {
	proto uint16
	ipc   bool
	bind  func() (net.Listener, error)
	setup func(net.Conn) // applied to each accepted connection, or nil

	mu     sync.Mutex
	l      net.Listener
	closed bool
}

// NewListener returns a listener that binds with bind when Listen is called
// and accepts connections speaking proto.
func NewListener(proto uint16, ipc bool, bind func() (net.Listener, error), setup func(net.Conn)) *Listener {
	return &Listener{proto: proto, ipc: ipc, bind: bind, setup: setup}
}

// Listen implements sp.TransportListener.
func (l *Listener) Listen() error {
	nl, err := l.bind()
	if err != nil {
		return ListenError(err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		nl.Close()
		return sp.ErrClosed
	}
	l.l = nl
	return nil
}

func (l *Listener) get() net.Listener {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.l
}

// Accept implements sp.TransportListener.
func (l *Listener) Accept() (sp.TransportConn, error) {
	nl := l.get()
	if nl == nil {
		return nil, sp.ErrClosed
	}
	c, err := nl.Accept()
	if err != nil {
		if errors.Is(err, net.ErrClosed) {
			return nil, sp.ErrClosed
		}
		return nil, err
	}
	if l.setup != nil {
		l.setup(c)
	}
	return New(c, l.proto, l.ipc), nil
}

// Addr implements sp.TransportListener.
func (l *Listener) Addr() net.Addr {
	if nl := l.get(); nl != nil {
		return nl.Addr()
	}
	return nil
}

// Close implements sp.TransportListener.
func (l *Listener) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
	if l.l != nil {
		return l.l.Close()
	}
	return nil
}

// Capable returns c as a TransportConn that carries only the capabilities
// it can honor (see sp.ConnAs): all of Conn's over a connection with a
// descriptor; without one (net.Pipe, an SSH channel) neither
// sp.DirectSender, sp.ResumableConn nor syscall.Conn, which need the
// descriptor, and sp.HalfCloser only if the connection can shut its
// writing side.
func (c *Conn) Capable() sp.TransportConn {
	if c.r.raw != nil {
		return c
	}
	if _, ok := c.c.(interface{ CloseWrite() error }); ok {
		return halfClosing{plain{c}}
	}
	return plain{c}
}

// plainConn is what a Conn without a descriptor carries of its
// capabilities.
type plainConn interface {
	sp.TransportConn
	sp.BufferedConn
	sp.SentCounter
}

// plain hides a Conn's other methods behind plainConn's.
type plain struct{ plainConn }

// halfClosing is plain, and sp.HalfCloser.
type halfClosing struct{ plain }

// CloseWrite implements sp.HalfCloser.
func (h halfClosing) CloseWrite() error { return h.plainConn.(*Conn).CloseWrite() }
