// Package surveyor implements the surveyor side of the survey pattern. A
// surveyor socket sends a survey to every respondent peer at once and
// collects their answers until the survey's deadline: Send starts a survey,
// each Recv returns one answer, and once the deadline (SurveyTime, default
// 1 s) has passed and every answer that came in time has been read, Recv
// fails with sp.ErrTimeout. Recv before any Send fails with sp.ErrBadState.
// A Recv waiting when a new survey is sent goes on waiting, for answers to
// the new survey.
//
// Protocol id 0x62 (surveyor); peer respondent, 0x63. Wire header: the survey
// id, one 32-bit big-endian word with the top bit set, before the body of
// each survey and of each answer. Ids start at a random value and count up.
//
// What is lost, and when: Send never blocks; a respondent whose send queue
// (sp.SendQueueLen) is full does not get the survey. An answer that arrives
// after the deadline, or to a survey that a newer Send replaced, is dropped,
// as are the unread answers of a replaced survey. At most sp.RecvQueueLen
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
//	s, _ := surveyor.NewSocket()
//	defer s.Close()
//	s.Listen("tcp://*:5555")
//	sp.SetOption(s, surveyor.SurveyTime, 500*time.Millisecond)
//	s.Send(ctx, []byte("who is there?"))
//	for {
//		answer, err := s.Recv(ctx)
//		if errors.Is(err, sp.ErrTimeout) {
//			break // the survey is over
//		}
//		...
//	}
//
// Shutdown: the surveys Send accepted are written out to the
// respondents. Answers not yet received are lost, as the socket closes: Recv
// them first.
package surveyor
