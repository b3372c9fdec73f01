package surveyor_test

import (
	"context"
	"testing"
	"time"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/sptest"
	"github.com/spgo/sp/protocol/respondent"
	"github.com/spgo/sp/protocol/surveyor"
)

// BenchmarkSurvey is the survey shape of a service: one surveyor, 50
// respondents (each its own socket, answering with respondent.Serve), 64 B
// surveys and answers; each op is one survey, ended as soon as all 50
// answers are in (breaking out of surveyor.Survey). It reports surveys/s.
//
//	go test -run XXX -bench Survey ./protocol/surveyor
func BenchmarkSurvey(b *testing.B) {
	for _, tr := range []string{"inproc", "tcp"} {
		b.Run(tr, func(b *testing.B) { benchSurvey(b, tr, 50) })
	}
}

func benchSurvey(b *testing.B, tr string, n int) {
	s := sptest.New(b, surveyor.NewSocket)
	if err := sp.SetOption(s, surveyor.SurveyTime, 10*time.Second); err != nil {
		b.Fatal(err)
	}
	addr := sptest.InprocAddr()
	if tr == "tcp" {
		addr = sptest.TCPAddr(b)
	}
	addr = sptest.Listen(b, s, addr)
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan struct{}, n)
	defer func() {
		cancel()
		for range n {
			<-served
		}
	}()
	for range n {
		r := sptest.New(b, respondent.NewSocket)
		sptest.Dial(b, r, addr)
		go func() {
			defer func() { served <- struct{}{} }()
			respondent.Serve(ctx, r, func(_ context.Context, q []byte) ([]byte, error) { return q, nil })
		}()
	}
	if err := s.WaitPeers(ctx, n); err != nil {
		b.Fatal(err)
	}
	body := make([]byte, 64)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		got := 0
		for _, err := range surveyor.Survey(ctx, s, body) {
			if err != nil {
				b.Fatal(err)
			}
			if got++; got == n {
				break
			}
		}
		if got != n {
			b.Fatalf("got %d answers, want %d", got, n)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "surveys/s")
}
