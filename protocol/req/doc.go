// Package req implements the requester side of the request/reply pattern.
// A req socket sends a request to one of its rep peers and receives that
// peer's reply; Recv before a Send fails with sp.ErrBadState.
//
// Protocol id 0x30 (req); peer rep, 0x31. Wire header: the request id, one
// 32-bit big-endian word with the top bit set, before the body of each
// request and of its reply.
//
// Reliability: a request without a reply after ResendTime (default 60 s) is
// sent again, to the next rep peer; a request whose peer disconnects is sent
// to another at once. A new Send cancels the request before it: a late reply
// to the old one is dropped. Send waits for a peer with room, until its
// context ends or sp.SendTimeout passes.
//
// Contexts: OpenContext returns a context with its own outstanding request,
// timeouts and ResendTime, so that many goroutines can each have a request
// in flight on one socket.
//
//	s, _ := req.NewSocket()
//	defer s.Close()
//	s.Dial("tcp://127.0.0.1:5555")
//	s.Send(ctx, []byte("ping"))
//	reply, err := s.Recv(ctx)
//
// Shutdown: the requests Send accepted are written out to the rep peers,
// and none is resent. Replies not yet received are lost, as the socket closes:
// Recv the replies you want before calling Shutdown.
package req
