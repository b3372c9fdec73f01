// Package req implements the requester side of the request/reply pattern.
// A req socket sends a request to one of its rep peers and receives that
// peer's reply.
//
// Requesting: Request sends a request and returns its reply; any number of
// goroutines may call it at once on one socket, each getting the reply to
// its own request (each runs on a context of its own, reused from call to
// call). Its ctx cancels the request.
//
// The socket itself runs one exchange at a time: Send a request, then Recv
// its reply. Recv before a Send fails with sp.ErrBadState, and so does a
// Send while the last request is outstanding (its reply not yet returned by
// Recv, nor the request canceled), or a Recv while another Recv waits:
// goroutines sharing the socket would otherwise get each other's replies
// (nng and mangos let them). Use Request, or a context per goroutine
// (OpenContext); on a context, a new Send cancels the request before it, as
// in nng.
//
// Protocol id 0x30 (req); peer rep, 0x31. Wire header: the request id, one
// 32-bit big-endian word with the top bit set, before the body of each
// request and of its reply.
//
// Reliability: a request without a reply after ResendTime (default 60 s) is
// sent again, to the next rep peer; a request whose peer disconnects is sent
// to another at once. A Recv that gives up (its ctx ends, or sp.RecvTimeout
// passes) cancels the request, as in nng: it is not sent again and a late
// reply is dropped; if the request's connection was lost meanwhile, the
// error says how often and why (a rep closes the connection of a request
// over its sp.RecvMaxSize, for instance). Send waits for a peer with room,
// until its context ends or sp.SendTimeout passes.
//
// Contexts: OpenContext returns a context with its own outstanding request,
// timeouts and ResendTime, so that many goroutines can each have a request
// in flight on one socket.
//
//	s, err := req.NewSocket()
//	if err != nil { ... }
//	defer s.Close()
//	if err := s.Dial("tcp://127.0.0.1:5555"); err != nil { ... }
//	reply, err := req.Request(ctx, s, []byte("ping"))
//
// Shutdown: the requests Send accepted are written out to the rep peers,
// and none is resent. Replies not yet received are lost, as the socket closes:
// Recv the replies you want before calling Shutdown.
package req
