package surveyor

import (
	"context"
	"fmt"

	"github.com/spgo/sp"
)

// ErrSurveyEnded is returned by Recv once the survey has ended (its
// SurveyTime passed, or a new survey replaced it on a context) and every
// answer that came in time has been read. It also matches sp.ErrTimeout, as
// nng reports the end of a survey as a timeout, so loops that stop at
// sp.ErrTimeout keep working; a caller's own deadline (ctx, or
// sp.RecvTimeout) is sp.ErrTimeout but not ErrSurveyEnded.
var ErrSurveyEnded error = surveyEnded{}

type surveyEnded struct{}

func (surveyEnded) Error() string { return "sp: the survey has ended" }

// Is lets ErrSurveyEnded match sp.ErrTimeout, and context.DeadlineExceeded
// as sp.ErrTimeout does.
func (surveyEnded) Is(target error) bool {
	return target == sp.ErrTimeout || target == context.DeadlineExceeded
}

// Timeout reports true: the end of a survey is a timeout.
func (surveyEnded) Timeout() bool { return true }

// Errors of a surveyor socket shared by goroutines without contexts.
var (
	errBusy = fmt.Errorf("%w: Send on a surveyor socket while its last survey still collects answers "+
		"(read them until ErrSurveyEnded; goroutines that share a socket use surveyor.Survey or a context each)",
		sp.ErrBadState)
	errRecvBusy = fmt.Errorf("%w: Recv on a surveyor socket while another Recv waits for the same survey's answers "+
		"(goroutines that share a socket use surveyor.Survey or a context each)", sp.ErrBadState)
)
