package interop_test

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/spgo/sp/protocol/push"
)

// TestPushShutdown: sp push sends n messages to a C puller and shuts down
// at once; the puller prints every one (the C peers close their pipe when
// they read the end of the stream, which Shutdown waits for).
func TestPushShutdown(t *testing.T) {
	const n = 300
	for _, tl := range tools {
		for _, tr := range transports {
			for _, spListens := range []bool{true, false} {
				name := fmt.Sprintf("%s/%s/sp-%s", tl.name, tr.name, map[bool]string{true: "listens", false: "dials"}[spListens])
				t.Run(name, func(t *testing.T) {
					t.Parallel()
					tl.path(t)
					s := newSocket(t, push.NewSocket)
					args := append([]string{tl.proto("pull"), "--raw"}, tl.count(n)...)
					c := connect(t, s, tl, tr, spListens, args...)
					var want bytes.Buffer
					for i := range n {
						msg := fmt.Sprintf("message %05d\n", i)
						want.WriteString(msg)
						require.NoError(t, s.Send(ctx(t), []byte(msg)))
					}
					require.NoError(t, s.Shutdown(ctx(t)))
					waitExact(t, c, tl, want.Bytes(), tl.nng)
				})
			}
		}
	}
}
