package respondent_test

import (
	"context"
	"testing"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/leaktest"
	"github.com/spgo/sp/internal/sptest"
	"github.com/spgo/sp/protocol/surveyor"
	"github.com/stretchr/testify/require"
)

func TestMain(m *testing.M) { leaktest.VerifyTestMain(m) }

// newSurveyor returns a surveyor socket whose surveys outlast any passing
// test, closed when the test ends.
func newSurveyor(t *testing.T, ctor func() (sp.Socket, error)) sp.Socket {
	t.Helper()
	s := sptest.New(t, ctor)
	if raw, _ := sp.GetOption(s, sp.Raw); !raw {
		require.NoError(t, sp.SetOption(s, surveyor.SurveyTime, sptest.Timeout))
	}
	return s
}

// exchanger sends and receives: a socket or a context.
type exchanger interface {
	Send(ctx context.Context, b []byte) error
	Recv(ctx context.Context) ([]byte, error)
	SendMsg(ctx context.Context, m *sp.Message) error
}
