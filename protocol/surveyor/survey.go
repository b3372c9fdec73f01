package surveyor

import (
	"context"
	"errors"
	"fmt"
	"iter"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/core"
	"github.com/spgo/sp/internal/msgtrack"
)

// Survey sends body as a new survey on s, a socket from NewSocket, and
// returns an iterator over its answers, in the order they arrive. The
// survey is sent when the loop starts, and the loop ends when the survey
// does (SurveyTime after it was sent): the end of a survey is not an error.
// If the survey cannot be sent, or ctx ends, or the socket's sp.RecvTimeout
// passes, or s closes, before the survey ends, the iterator yields that
// error once (for ctx's deadline, sp.ErrTimeout) and stops. Breaking out of
// the loop ends the survey at once: later answers are dropped.
//
// Any number of goroutines may run surveys at once on one socket: each has
// its own context inside the socket, so each gets the answers to its own
// survey. Each answer belongs to the caller.
//
//	for answer, err := range surveyor.Survey(ctx, s, []byte("who is there?")) {
//		if err != nil {
//			return err
//		}
//		fmt.Printf("%s\n", answer)
//	}
func Survey(ctx context.Context, s sp.Socket, body []byte) iter.Seq2[[]byte, error] {
	return func(yield func([]byte, error) bool) {
		r, err := surveyorOf(s)
		if err != nil {
			yield(nil, err)
			return
		}
		if ctx == nil {
			ctx = context.Background()
		}
		if err := r.s.CheckSend(); err != nil { // Shutdown has begun
			yield(nil, err)
			return
		}
		c, err := r.take()
		if err != nil {
			yield(nil, err)
			return
		}
		defer r.give(c)
		if err := c.send(ctx, core.CopyBody(body)); err != nil {
			yield(nil, err)
			return
		}
		for {
			m, err := c.recv(ctx, c.tmo.Recv())
			if errors.Is(err, ErrSurveyEnded) {
				return
			}
			if err != nil {
				yield(nil, r.s.ExplainTimeout("recv", err))
				return
			}
			msgtrack.ToUser(m) // the caller takes its body; the message is left to the collector
			if !yield(m.Body, nil) {
				return
			}
		}
	}
}

// SurveyAll sends body as a new survey on s and returns every answer that
// came before the survey ended, with a nil error. If the survey could not
// be sent, or ctx ended (or the socket's sp.RecvTimeout passed, or s closed)
// before the survey did, it returns the answers received so far with that
// error. See Survey.
func SurveyAll(ctx context.Context, s sp.Socket, body []byte) ([][]byte, error) {
	var answers [][]byte
	for a, err := range Survey(ctx, s, body) {
		if err != nil {
			return answers, err
		}
		answers = append(answers, a)
	}
	return answers, nil
}

// surveyorOf returns the surveyor protocol behind s.
func surveyorOf(s sp.Socket) (*surveyor, error) {
	if cs, ok := s.(*core.Socket); ok {
		if r, ok := cs.Protocol().(*surveyor); ok {
			return r, nil
		}
	}
	what := "nil"
	if s != nil {
		what = s.Info().SelfName
		if raw, err := sp.GetOption(s, sp.Raw); err == nil && raw {
			what = "raw " + what
		}
	}
	return nil, fmt.Errorf("%w: surveyor.Survey needs a socket from surveyor.NewSocket, not a %s socket",
		sp.ErrNotSupported, what)
}

// take returns a context for one Survey: a free one, or a new one. Its
// timeouts and SurveyTime are the socket's now.
func (r *surveyor) take() (*survCtx, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil, sp.ErrClosed
	}
	var c *survCtx
	if n := len(r.free); n > 0 {
		c = r.free[n-1]
		r.free[n-1] = nil
		r.free = r.free[:n-1]
		c.tmo.Init(r.s)
	} else {
		c = r.newCtx()
	}
	c.surveyTime = r.surveyTime
	return c, nil
}

// give takes back a context from Survey, ending its survey.
func (r *surveyor) give(c *survCtx) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if c.closed {
		return
	}
	c.cancel()
	r.free = append(r.free, c)
}
