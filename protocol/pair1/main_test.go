package pair1_test

import (
	"fmt"
	"testing"

	"github.com/spgo/sp/internal/leaktest"
	"github.com/spgo/sp/internal/wire"
)

func TestMain(m *testing.M) { leaktest.VerifyTestMain(m) }

// hop returns a pair1 frame payload: the hop count header, then body.
func hop(n uint32, body string) []byte {
	return append(wire.AppendUint32(nil, n), body...)
}

func msgs(prefix string, n int) []string {
	s := make([]string, n)
	for i := range s {
		s[i] = fmt.Sprintf("%s%d", prefix, i)
	}
	return s
}
