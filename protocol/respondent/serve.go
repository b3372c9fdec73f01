package respondent

import (
	"context"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/replier"
)

// DefaultConcurrency is how many surveys a Server answers at once when its
// Concurrency is 0.
const DefaultConcurrency = replier.DefaultConcurrency

// Handler answers one survey: it returns the answer's body. The survey
// slice is valid only until the handler returns (copy what it keeps); the
// answer is copied before it is sent, so it may be a slice of the survey.
//
// A handler that returns an error sends no answer, which a respondent may
// always do: the surveyor's survey simply ends without it. The error is
// logged to the socket's sp.Logger and counted in Stats: Counters["handler_errors"]
// counts them all, Counters["handler_panics"] those that were a panic,
// which Serve recovers and treats as an error.
type Handler func(ctx context.Context, survey []byte) (answer []byte, err error)

// Server answers the surveys of a respondent socket with a Handler, many at
// once.
type Server struct {
	// Handler answers each survey; it is required.
	Handler Handler
	// Concurrency is how many surveys are answered at once (0 means
	// DefaultConcurrency). Each is received and answered on a context of
	// its own, so every answer goes to the surveyor that asked.
	Concurrency int
	// Inline answers each survey on the goroutine that read it from its
	// connection, and writes the replies to the surveys read together in
	// one write: no goroutine hand-off between reading a survey, running
	// the handler and sending the reply. Handlers then run one at a time
	// per connection, so a handler that blocks holds up the surveys
	// behind it on its connection: use it for handlers that do not wait
	// (computation, lookups in memory), not for ones that wait on I/O.
	// Concurrency still bounds the contexts that answer surveys queued
	// before Serve began. One Serve at a time answers inline on a socket:
	// another running at once answers on its contexts only.
	Inline bool
}

// Serve answers surveys on s, a socket from NewSocket, until ctx ends or s
// closes. It returns ctx's error when ctx ended, an error wrapping
// sp.ErrClosed when s closed, and at once an error for a socket it cannot
// serve (sp.ErrNotSupported for a raw socket or another protocol); in every
// case only after every handler it started has returned.
//
// Handlers get ctx: when it ends, no new survey is taken, and an answer
// returned after that is still sent if the surveyor's connection has room
// for it. Surveys are received and answered on contexts of s, so Serve
// costs what a loop of a context's Recv and Send costs.
func (srv *Server) Serve(ctx context.Context, s sp.Socket) error {
	return replier.Serve(ctx, s, info, srv.Concurrency, srv.Inline, srv.Handler)
}

// Serve answers surveys on s with h, DefaultConcurrency at a time, until
// ctx ends or s closes; see Server.Serve.
func Serve(ctx context.Context, s sp.Socket, h Handler) error {
	return replier.Serve(ctx, s, info, 0, false, h)
}
