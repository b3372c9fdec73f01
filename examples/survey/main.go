// Command survey shows surveyor/respondent: a surveyor on tcp asks three
// respondents a question and collects their answers until the survey's
// deadline; an answer that comes later is dropped.
//
//	go run ./examples/survey
package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"sort"
	"sync"
	"time"

	"github.com/spgo/sp"
	"github.com/spgo/sp/protocol/respondent"
	"github.com/spgo/sp/protocol/surveyor"
)

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "survey:", err)
		os.Exit(1)
	}
}

const deadline = 300 * time.Millisecond

// The respondents, and how long each takes to answer.
var respondents = []struct {
	name  string
	delay time.Duration
}{{"alice", 0}, {"bob", 10 * time.Millisecond}, {"carol", 2 * deadline}}

func run(w io.Writer) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	s, err := surveyor.NewSocket()
	if err != nil {
		return err
	}
	defer s.Close()
	if err := sp.SetOption(s, surveyor.SurveyTime, deadline); err != nil {
		return err
	}
	// A survey goes to the respondents connected when it is sent: wait for
	// all of them.
	joined := make(chan struct{}, len(respondents))
	s.SetPipeHook(func(ev sp.PipeEvent, _ sp.Pipe) bool {
		if ev == sp.PipeAdded {
			joined <- struct{}{}
		}
		return true
	})
	l, err := s.NewListener("tcp://127.0.0.1:0")
	if err != nil {
		return err
	}
	if err := l.Listen(); err != nil {
		return err
	}
	url := fmt.Sprintf("tcp://127.0.0.1:%d", l.Addr().(*net.TCPAddr).Port)

	var wg sync.WaitGroup
	defer wg.Wait() // runs last: the respondents end when their sockets close
	for _, r := range respondents {
		rs, err := respondent.NewSocket()
		if err != nil {
			return err
		}
		defer rs.Close()
		if err := rs.Dial(url, sp.WithDialSync()); err != nil {
			return err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			q, err := rs.Recv(ctx)
			if err != nil {
				return
			}
			time.Sleep(r.delay)
			// The answer goes back to the surveyor that asked.
			_ = rs.Send(ctx, fmt.Appendf(nil, "%s: yes to %q", r.name, q))
		}()
	}
	for range respondents {
		select {
		case <-joined:
		case <-ctx.Done():
			return ctx.Err()
		}
	}

	fmt.Fprintf(w, "survey %q, deadline %v\n", "lunch?", deadline)
	// Survey yields one answer at a time, and ends once the deadline has
	// passed and every answer that came in time has been read.
	var answers []string
	for b, err := range surveyor.Survey(ctx, s, []byte("lunch?")) {
		if err != nil {
			return err
		}
		answers = append(answers, string(b))
	}
	sort.Strings(answers) // they arrive in any order
	for _, a := range answers {
		fmt.Fprintf(w, "answer %s\n", a)
	}
	fmt.Fprintf(w, "survey over: %d of %d answered in time\n", len(answers), len(respondents))

	// carol answers after the deadline: her answer arrives, and is dropped
	// as stale. The socket's statistics count it.
	wg.Wait()
	for s.Stats().Drops.Stale == 0 {
		select {
		case <-time.After(10 * time.Millisecond):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	fmt.Fprintf(w, "late answers dropped: %d\n", s.Stats().Drops.Stale)
	return nil
}
