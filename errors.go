package sp

import (
	"context"
	"errors"
	"fmt"
	"net"
)

// Sentinel errors. Match them with errors.Is: the errors sp returns often wrap
// them with the operation and address (see OpError).
var (
	// ErrClosed is returned by operations on a closed socket, context, dialer,
	// listener or pipe. It also matches net.ErrClosed.
	ErrClosed error = &sentinel{msg: "sp: closed", also: net.ErrClosed}

	// ErrTimeout is returned when a send or receive timeout expires. Its
	// Timeout method reports true, and it also matches
	// context.DeadlineExceeded, so a context deadline reads as it too. A
	// send or receive that times out on a socket with no peer connected
	// says so ("sp: send: timed out: no peer connected"); a dial that
	// takes too long matches it as well.
	ErrTimeout error = &sentinel{msg: "sp: timed out", also: context.DeadlineExceeded, timeout: true}

	// ErrBadState is returned when an operation is not valid in the socket's
	// current state, such as a rep Send before a Recv.
	ErrBadState error = &sentinel{msg: "sp: incorrect state"}

	// ErrNotSupported is returned for an operation the protocol or transport
	// does not support, such as Recv on a push socket.
	ErrNotSupported error = &sentinel{msg: "sp: not supported"}

	// ErrTooLarge is returned when a message exceeds the receive size limit
	// (RecvMaxSize). The pipe that carried it is closed.
	ErrTooLarge error = &sentinel{msg: "sp: message too large"}

	// ErrBadURL is returned for an address that cannot be parsed or whose
	// scheme has no registered transport.
	ErrBadURL error = &sentinel{msg: "sp: invalid address"}

	// ErrBadProtocol is returned when a peer speaks a protocol that is not
	// this socket's peer protocol, or a handshake that is not SP.
	ErrBadProtocol error = &sentinel{msg: "sp: peer protocol mismatch"}

	// ErrConnRefused is returned when a dial finds nobody listening.
	ErrConnRefused error = &sentinel{msg: "sp: connection refused"}

	// ErrNoHost is returned when a dial's host name does not resolve: the
	// DNS answers that there is no such host, or the name is unknown for
	// another reason (no resolver answers for it, say). A lookup that times
	// out reads as ErrTimeout instead.
	ErrNoHost error = &sentinel{msg: "sp: host not found"}

	// ErrBadOption is returned for an unknown option, or a value of the
	// wrong type or out of range.
	ErrBadOption error = &sentinel{msg: "sp: invalid option"}

	// ErrMalformed is returned when a peer sends bytes that break the wire
	// format, such as a frame of the wrong type or a protocol header that never
	// ends. The pipe that carried them is closed.
	ErrMalformed error = &sentinel{msg: "sp: malformed message"}

	// ErrAddrInUse is returned when a listener's address is already taken.
	ErrAddrInUse error = &sentinel{msg: "sp: address in use"}

	// ErrActivation is returned by ActivationListeners when the socket
	// activation variables (LISTEN_PID, LISTEN_FDS, LISTEN_FDNAMES) are
	// malformed, or a descriptor they pass is not a listening stream
	// socket.
	ErrActivation error = &sentinel{msg: "sp: bad socket activation"}
)

type sentinel struct {
	msg     string
	also    error
	timeout bool
}

func (e *sentinel) Error() string { return e.msg }

// Is lets a sentinel also match the standard error it stands for.
func (e *sentinel) Is(target error) bool { return e.also != nil && target == e.also }

// Timeout reports whether the error is a timeout (true for ErrTimeout), for
// callers that test net.Error.
func (e *sentinel) Timeout() bool { return e.timeout }

// Temporary reports false; it exists so that ErrTimeout satisfies net.Error.
func (e *sentinel) Temporary() bool { return false }

// OpError records the operation and address that failed, for a person reading
// a log. Err is the cause and is matched by errors.Is through Unwrap.
type OpError struct {
	Op  string // "dial", "listen", "accept", "handshake", "recv", "send"
	URL string // the endpoint address, or "" when there is none
	Err error
}

// Error formats the error as "sp: op url: cause".
func (e *OpError) Error() string {
	s := "sp: " + e.Op
	if e.URL != "" {
		s += " " + e.URL
	}
	if e.Err != nil {
		msg := e.Err.Error()
		if len(msg) > 4 && msg[:4] == "sp: " {
			msg = msg[4:]
		}
		s += ": " + msg
	}
	return s
}

// Unwrap returns the cause.
func (e *OpError) Unwrap() error { return e.Err }

// Timeout reports whether the cause is a timeout.
func (e *OpError) Timeout() bool {
	var t interface{ Timeout() bool }
	return errors.As(e.Err, &t) && t.Timeout()
}

// ShutdownError is the error of a Socket's Shutdown that could not write out
// everything Send had accepted: its context ended first (Err is
// ContextError's: a deadline matches ErrTimeout), Close interrupted it (Err
// matches ErrClosed), or a peer was lost with messages queued for it (Err is
// why the pipe closed). Dropped counts the accepted messages that were
// discarded rather than written to a connection; a message written to a
// connection whose peer then went away is not among them (it counts in
// the socket's MsgsSent). Read it with errors.As.
type ShutdownError struct {
	Dropped int   // accepted messages discarded unwritten
	Err     error // why Shutdown could not write them
}

// Error says how many messages were dropped, and why.
func (e *ShutdownError) Error() string {
	msg := "<nil>"
	if e.Err != nil {
		msg = e.Err.Error()
		if len(msg) > 4 && msg[:4] == "sp: " {
			msg = msg[4:]
		}
	}
	return fmt.Sprintf("sp: shutdown dropped %d message(s): %s", e.Dropped, msg)
}

// Unwrap returns the cause, so that errors.Is(err, ErrTimeout) tells a
// Shutdown whose deadline passed.
func (e *ShutdownError) Unwrap() error { return e.Err }

// Timeout reports whether the cause is a timeout.
func (e *ShutdownError) Timeout() bool {
	var t interface{ Timeout() bool }
	return errors.As(e.Err, &t) && t.Timeout()
}

// ContextError converts the error of a finished context into sp's vocabulary:
// a passed deadline becomes ErrTimeout, a cancellation stays context.Canceled.
func ContextError(ctx context.Context) error {
	err := ctx.Err()
	if errors.Is(err, context.DeadlineExceeded) {
		return ErrTimeout
	}
	return err
}
