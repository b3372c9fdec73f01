package rep

import (
	"context"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/replier"
)

// DefaultConcurrency is how many requests a Server answers at once when its
// Concurrency is 0.
const DefaultConcurrency = replier.DefaultConcurrency

// Handler answers one request: it returns the reply's body. The request
// slice is valid only until the handler returns (copy what it keeps); the
// reply is copied before it is sent, so it may be a slice of the request.
//
// A handler that returns an error sends no reply: the requester waits until
// its own deadline, or sends the request again after its req.ResendTime.
// SP has no error replies; to tell the requester what went wrong, return a
// reply that says so. The error is logged to the socket's sp.Logger and
// counted in Stats: Counters["handler_errors"]
// counts them all, Counters["handler_panics"] those that were a panic,
// which Serve recovers and treats as an error.
type Handler func(ctx context.Context, request []byte) (reply []byte, err error)

// Server answers the requests of a rep socket with a Handler, many at once.
type Server struct {
	// Handler answers each request; it is required.
	Handler Handler
	// Concurrency is how many requests are answered at once (0 means
	// DefaultConcurrency). Each is received and answered on a context of
	// its own, so every reply goes to the requester that asked.
	Concurrency int
	// Inline answers each request on the goroutine that read it from its
	// connection, and writes the replies to the requests read together in
	// one write: no goroutine hand-off between reading a request, running
	// the handler and sending the reply. Handlers then run one at a time
	// per connection, so a handler that blocks holds up the requests
	// behind it on its connection: use it for handlers that do not wait
	// (computation, lookups in memory), not for ones that wait on I/O.
	// Concurrency still bounds the contexts that answer requests queued
	// before Serve began. One Serve at a time answers inline on a socket:
	// another running at once answers on its contexts only.
	Inline bool
}

// Serve answers requests on s, a socket from NewSocket, until ctx ends or
// s closes. It returns ctx's error when ctx ended, an error wrapping
// sp.ErrClosed when s closed, and at once an error for a socket it cannot
// serve (sp.ErrNotSupported for a raw socket or another protocol); in every
// case only after every handler it started has returned.
//
// Handlers get ctx: when it ends, no new request is taken, and a reply
// returned after that is still sent if the requester's connection has room
// for it. To stop a server without losing accepted replies, cancel ctx, wait
// for Serve to return, then call s.Shutdown.
//
// Requests are received and answered on contexts of s, so Serve costs
// what a loop of a context's Recv and Send costs, and the socket itself
// stays free for other use.
func (srv *Server) Serve(ctx context.Context, s sp.Socket) error {
	return replier.Serve(ctx, s, info, srv.Concurrency, srv.Inline, srv.Handler)
}

// Serve answers requests on s with h, DefaultConcurrency at a time, until
// ctx ends or s closes; see Server.Serve.
func Serve(ctx context.Context, s sp.Socket, h Handler) error {
	return replier.Serve(ctx, s, info, 0, false, h)
}
