package star_test

import (
	"testing"

	"github.com/spgo/sp/internal/leaktest"
	"github.com/spgo/sp/internal/wire"
)

func TestMain(m *testing.M) { leaktest.VerifyTestMain(m) }

// hop returns a star frame payload: the hop count header, then body.
func hop(n uint32, body string) []byte {
	return append(wire.AppendUint32(nil, n), body...)
}
