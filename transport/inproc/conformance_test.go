package inproc_test

import (
	"testing"

	"github.com/spgo/sp/internal/leaktest"
	"github.com/spgo/sp/internal/sptest"
	"github.com/spgo/sp/transport/transporttest"
)

func TestMain(m *testing.M) { leaktest.VerifyTestMain(m) }

func TestConformance(t *testing.T) {
	transporttest.Run(t, transporttest.Config{
		Addr:    func(testing.TB) string { return sptest.InprocAddr() },
		Refused: func(testing.TB) string { return sptest.InprocAddr() },
		BadURLs: []transporttest.BadURL{
			{URL: "inproc:/name", Reason: "no scheme"},
			{URL: "inproc://", Reason: "want inproc://name"},
		},
	})
}
