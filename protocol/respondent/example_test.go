package respondent_test

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spgo/sp"
	"github.com/spgo/sp/protocol/respondent"
	"github.com/spgo/sp/protocol/surveyor"
)

// A respondent answers each survey it receives; the answer goes back to the
// surveyor that asked.
func Example() {
	ctx := context.Background()
	r, err := respondent.NewSocket()
	if err != nil {
		panic(err)
	}
	defer r.Close()
	if _, err := r.Listen("inproc://respondent-example"); err != nil {
		panic(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			q, err := r.Recv(ctx)
			if err != nil {
				return // closed
			}
			fmt.Printf("respondent got %q\n", q)
			r.Send(ctx, []byte(strings.ToUpper(string(q))))
		}
	}()

	s, err := surveyor.NewSocket()
	if err != nil {
		panic(err)
	}
	defer s.Close()
	if err := sp.SetOption(s, surveyor.SurveyTime, 5*time.Second); err != nil {
		panic(err)
	}
	// A synchronous dial: the surveyor has the pipe when Dial returns.
	if err := s.Dial("inproc://respondent-example", sp.WithDialSync()); err != nil {
		panic(err)
	}
	if err := s.Send(ctx, []byte("status?")); err != nil {
		panic(err)
	}
	a, err := s.Recv(ctx)
	if err != nil {
		panic(err)
	}
	fmt.Printf("surveyor got %q\n", a)
	r.Close()
	<-done
	// Output:
	// respondent got "status?"
	// surveyor got "STATUS?"
}
