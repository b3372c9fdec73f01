package pair_test

import (
	"testing"

	"github.com/spgo/sp/internal/leaktest"
)

func TestMain(m *testing.M) { leaktest.VerifyTestMain(m) }
