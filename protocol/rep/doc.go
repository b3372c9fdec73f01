// Package rep implements the replier side of the request/reply pattern. A
// rep socket receives requests from its req peers and answers each, to the
// requester it came from, however many there are.
//
// Serving: Serve (or a Server, to choose the concurrency) runs a Handler on
// every request, many at once, each request received and answered on a
// context of its own; it recovers a handler's panic and returns when its
// ctx ends or the socket closes. A handler that does not wait can run
// inline (Server.Inline), on the goroutine that read its request, with no
// goroutine hand-off: the fastest way to answer. This is the way to serve
// from Go:
//
//	s, err := rep.NewSocket()
//	if err != nil { ... }
//	defer s.Close()
//	if _, err := s.Listen("tcp://*:5555"); err != nil { ... }
//	err = rep.Serve(ctx, s, func(ctx context.Context, q []byte) ([]byte, error) {
//		return answer(q), nil
//	})
//
// The socket itself answers one request at a time: Recv a request, then
// Send its reply. Send without a request received first fails with
// sp.ErrBadState, and so does a Recv while the request received last is
// unanswered, or while another Recv waits: goroutines sharing the socket
// would otherwise answer each other's requesters (nng and mangos let them).
// Use Serve, or a context per goroutine (OpenContext), to answer
// concurrently; on a context, a new Recv forgets an unanswered request, as
// in nng.
//
// Protocol id 0x31 (rep); peer req, 0x30. Wire header: the backtrace, 32-bit
// big-endian words of which the last (top bit set) is the request id and
// those before it (top bit clear) are the pipe ids of the devices the
// request crossed. A backtrace that never ends closes its pipe; one longer
// than sp.MaxTTL is dropped.
//
// A reply to a requester that has gone is dropped without error: the
// requester resends its request elsewhere. Requests beyond the receive
// queue (sp.RecvQueueLen) push back on their senders.
//
// Shutdown: every reply Send accepted is written out to its requester, if
// it stays connected. Requests received and not yet answered are lost
// (their requesters send them again elsewhere, after their resend time).
// To stop a server without losing answers, cancel Serve's ctx, wait for
// Serve to return (its handlers' replies are sent), then call Shutdown.
package rep
