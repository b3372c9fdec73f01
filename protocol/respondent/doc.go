// Package respondent implements the respondent side of the survey pattern. A
// respondent socket receives surveys from its surveyor peers and answers
// each with Send: Recv a survey, then Send the answer, which goes back to the
// surveyor it came from, however many there are.
//
// Serving: Serve (or a Server, to choose the concurrency) runs a Handler on
// every survey, many at once, each received and answered on a context of its
// own; a handler that returns an error leaves its survey unanswered. A
// handler that does not wait can run inline (Server.Inline), on the
// goroutine that read its survey.
//
// The socket itself answers one survey at a time: Recv a survey, then Send
// its answer. Send without a survey received first fails with
// sp.ErrBadState, and so does a Recv while the survey received last is
// unanswered, or while another Recv waits, since goroutines sharing the
// socket would otherwise answer each other's surveyors. A survey need not
// be answered, but to leave one unanswered use Serve or a context
// (OpenContext), where the next Recv forgets it, as in nng.
//
// Protocol id 0x63 (respondent); peer surveyor, 0x62. Wire header: the
// backtrace, 32-bit big-endian words of which the last (top bit set) is the
// survey id and those before it (top bit clear) are the pipe ids of the
// devices the survey crossed. The answer carries the same backtrace back.
// A backtrace that never ends closes its pipe; one longer than sp.MaxTTL is
// dropped.
//
// What is lost, and when: an answer to a surveyor that has gone is dropped
// without error, and so, on the surveyor's side, is an answer that arrives
// after the survey's deadline. Send waits while the surveyor's send queue
// (sp.SendQueueLen) is full, until its context ends or sp.SendTimeout
// passes. Surveys beyond the receive queue (sp.RecvQueueLen) push back on
// their senders.
//
// Contexts: OpenContext returns a context with its own survey to answer, so
// that many goroutines can answer surveys concurrently on one socket.
//
// Raw mode (NewRawSocket): Recv gives each survey with its backtrace in
// Header, the id of the pipe it came from first; Send routes a message by
// the first word of its Header and sends the rest of the Header, then the
// body, to that pipe.
//
//	s, err := respondent.NewSocket()
//	if err != nil { ... }
//	defer s.Close()
//	if err := s.Dial("tcp://127.0.0.1:5555"); err != nil { ... }
//	err = respondent.Serve(ctx, s, func(ctx context.Context, q []byte) ([]byte, error) {
//		return answer(q), nil
//	})
//
// Shutdown: every answer Send accepted is written out to its
// surveyor, if it stays connected. Surveys received and not yet answered are
// lost: stop Serve first (cancel its ctx and wait for it), then Shutdown.
package respondent
