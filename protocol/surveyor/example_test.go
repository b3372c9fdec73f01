package surveyor_test

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/spgo/sp"
	"github.com/spgo/sp/protocol/respondent"
	"github.com/spgo/sp/protocol/surveyor"
)

// A surveyor asks two respondents and collects their answers until the
// survey's deadline.
func Example() {
	ctx := context.Background()
	s, err := surveyor.NewSocket()
	if err != nil {
		panic(err)
	}
	defer s.Close()
	if err := sp.SetOption(s, surveyor.SurveyTime, 500*time.Millisecond); err != nil {
		panic(err)
	}

	for _, name := range []string{"alice", "bob"} {
		r, err := respondent.NewSocket()
		if err != nil {
			panic(err)
		}
		defer r.Close()
		addr := "inproc://surveyor-example-" + name
		if _, err := r.Listen(addr); err != nil {
			panic(err)
		}
		go respondent.Serve(ctx, r, func(_ context.Context, q []byte) ([]byte, error) {
			return []byte(name + " heard " + string(q)), nil
		})
		// A synchronous dial: the surveyor has the pipe when Dial returns,
		// so the survey reaches this respondent.
		if err := s.Dial(addr, sp.WithDialSync()); err != nil {
			panic(err)
		}
	}

	var answers []string
	for b, err := range surveyor.Survey(ctx, s, []byte("who is there?")) {
		if err != nil {
			panic(err) // the survey's end is not an error: the loop just ends
		}
		answers = append(answers, string(b))
	}
	slices.Sort(answers) // they come in any order
	for _, a := range answers {
		fmt.Println(a)
	}
	// Output:
	// alice heard who is there?
	// bob heard who is there?
}
