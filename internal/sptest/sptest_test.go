package sptest_test

import (
	"os"
	"strings"
	"testing"

	"github.com/spgo/sp/internal/leaktest"
	"github.com/spgo/sp/internal/sptest"
	"github.com/spgo/sp/protocol/pair"
	"github.com/stretchr/testify/require"
)

func TestMain(m *testing.M) { leaktest.VerifyTestMain(m) }

func TestTransportsAddrs(t *testing.T) {
	var names []string
	sptest.Transports(t, func(t *testing.T, tr sptest.Transport) {
		names = append(names, tr.Name)
		a, b := tr.Addr(t), tr.Addr(t)
		require.NotEqual(t, a, b, "Addr must be fresh on every call")
		require.True(t, strings.HasPrefix(a, tr.Name+"://"), "got %q, want scheme %s", a, tr.Name)
		if tr.Name == "ipc" {
			path := strings.TrimPrefix(a, "ipc://")
			require.Less(t, len(path), 100, "ipc path %q is too long for sun_path", path)
			_, err := os.Stat(path)
			require.ErrorIs(t, err, os.ErrNotExist, "nothing may be at a fresh ipc path")
		}
	})
	require.Equal(t, []string{"inproc", "ipc", "tcp"}, names)
}

func TestPairAndCounter(t *testing.T) {
	sptest.Transports(t, func(t *testing.T, tr sptest.Transport) {
		a, b := sptest.Pair(t, tr, pair.NewSocket, pair.NewSocket)
		ctx := sptest.Ctx(t)
		require.NoError(t, a.Send(ctx, []byte("x")))
		got, err := b.Recv(ctx)
		require.NoError(t, err)
		require.Equal(t, "x", string(got))

		// The counter starts at 0 when installed: the pipe already there
		// counts -1 when it leaves.
		c := sptest.CountPipes(b, nil)
		require.NoError(t, a.Close())
		c.Wait(t, "a's pipe to go", func(live, _ int) bool { return live == -1 })
	})
}

func TestPayload(t *testing.T) {
	p := sptest.Payload(10000, 1)
	require.Len(t, p, 10000)
	require.Equal(t, sptest.Payload(10000, 1), p, "Payload must be deterministic")
	require.NotEqual(t, sptest.Payload(10000, 2), p, "the seed must matter")
	require.Equal(t, p[:4093], p[4093:8186])
}
