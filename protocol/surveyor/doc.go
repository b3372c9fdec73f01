// Package surveyor implements the surveyor side of the survey pattern. A
// surveyor socket sends a survey to every respondent peer at once and
// collects their answers until the survey's deadline: Send starts a survey,
// each Recv returns one answer, and once the deadline (SurveyTime, default
// 1 s) has passed and every answer that came in time has been read, Recv
// fails with ErrSurveyEnded (which also matches sp.ErrTimeout, as in nng; a
// caller's own deadline is sp.ErrTimeout alone). Recv before any Send fails
// with sp.ErrBadState.
//
// Surveying: Survey sends a survey and returns an iterator over its
// answers that ends with the survey; SurveyAll collects them in a slice.
// Any number of goroutines may survey at once on one socket, each seeing
// only the answers to its own survey (each runs on a context of its own).
//
// The socket itself runs one survey at a time: a Send while its last survey
// still collects answers fails with sp.ErrBadState, and so does a Recv while
// another Recv waits, since goroutines sharing the socket would otherwise
// read each other's answers. To start a survey before the last one ends, use
// a context (OpenContext), where a new Send replaces the survey before it,
// as in nng, or Survey.
//
// Protocol id 0x62 (surveyor); peer respondent, 0x63. Wire header: the survey
// id, one 32-bit big-endian word with the top bit set, before the body of
// each survey and of each answer. Ids start at a random value and count up.
//
// What is lost, and when: Send never blocks; a respondent whose send queue
// (sp.SendQueueLen) is full does not get the survey. An answer that arrives
// after the deadline, or to a survey that a newer Send on a context
// replaced, is dropped, as are the unread answers of a replaced survey. At most sp.RecvQueueLen
// unread answers wait per survey; more are dropped. A respondent that
// disconnects simply does not answer.
//
// Contexts: OpenContext returns a context with its own survey id, deadline,
// answers, timeouts and SurveyTime, so that several surveys can run at once
// on one socket, each seeing only its own answers.
//
// Raw mode (NewRawSocket): Send sends each message with its Header as given
// to every respondent; Recv returns each answer with its backtrace (the
// survey id) in Header. No ids, deadlines or filtering.
//
//	s, err := surveyor.NewSocket()
//	if err != nil { ... }
//	defer s.Close()
//	if _, err := s.Listen("tcp://*:5555"); err != nil { ... }
//	sp.SetOption(s, surveyor.SurveyTime, 500*time.Millisecond)
//	for answer, err := range surveyor.Survey(ctx, s, []byte("who is there?")) {
//		if err != nil { ... } // not the survey's end: the loop just ends then
//		...
//	}
//
// Shutdown: the surveys Send accepted are written out to the
// respondents. Answers not yet received are lost, as the socket closes: Recv
// them first.
package surveyor
