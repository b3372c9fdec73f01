// Package rep implements the replier side of the request/reply pattern. A
// rep socket receives requests from its req peers and answers each with
// Send: Recv a request, then Send its reply, which goes back to the
// requester it came from, however many there are. Send without a request
// received first fails with sp.ErrBadState.
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
// Contexts: OpenContext returns a context with its own request to answer,
// so that many goroutines can serve requests concurrently on one socket.
//
//	s, _ := rep.NewSocket()
//	defer s.Close()
//	s.Listen("tcp://*:5555")
//	for {
//		q, err := s.Recv(ctx)
//		if err != nil {
//			return err
//		}
//		s.Send(ctx, answer(q))
//	}
//
// Shutdown: every reply Send accepted is written out to its requester,
// if it stays connected. Requests received and not yet answered are lost
// (their requesters send them again elsewhere, after their resend time): Recv
// and answer them first.
package rep
