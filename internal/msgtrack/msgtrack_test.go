package msgtrack_test

import (
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/spgo/sp/internal/leaktest"
	"github.com/spgo/sp/internal/msgtrack"
)

func TestMain(m *testing.M) { leaktest.VerifyTestMain(m) }

type object struct{ _ [64]byte }

// tracked returns the record, as a new tracked object gets it, of an
// object kept alive until the test ends (the tests call Collected
// themselves) and then freed: its real cleanup finds nothing lost.
func tracked(t *testing.T) *msgtrack.Record {
	o := new(object)
	r := msgtrack.Track(o)
	t.Cleanup(func() {
		runtime.KeepAlive(o)
		r.Set(msgtrack.Freed)
	})
	return r
}

func TestOwner(t *testing.T) {
	tests := []struct {
		name string
		mark func(r, from *msgtrack.Record)
		want msgtrack.Owner
	}{
		{"new", func(r, _ *msgtrack.Record) {}, msgtrack.User},
		{"taken over", func(r, _ *msgtrack.Record) { r.TakeOver(0) }, msgtrack.Library},
		{"handed back", func(r, _ *msgtrack.Record) { r.TakeOver(0); r.Set(msgtrack.User) }, msgtrack.User},
		{"freed", func(r, _ *msgtrack.Record) { r.TakeOver(0); r.Set(msgtrack.Freed) }, msgtrack.Freed},
		{"copy of the library's", func(r, from *msgtrack.Record) { from.TakeOver(0); r.Inherit(from) }, msgtrack.Library},
		{"copy of the user's", func(r, from *msgtrack.Record) { r.TakeOver(0); r.Inherit(from) }, msgtrack.User},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, from := tracked(t), tracked(t)
			tt.mark(r, from)
			require.Equalf(t, tt.want, r.Owner(), "got owner %d, want %d", r.Owner(), tt.want)
		})
	}
}

// lose reports n records taken over at one site (this function's call
// site, with the given depth of calls below it) as collected.
//
//go:noinline
func lose(t *testing.T, n int, nested bool) {
	if nested {
		lose(t, n, false)
		return
	}
	for range n {
		r := tracked(t)
		r.TakeOver(0)
		msgtrack.Collected(r)
	}
}

func TestClaim(t *testing.T) {
	msgtrack.Claim(msgtrack.Mark{}) // nothing of earlier tests
	lose(t, 2, false)
	mark := msgtrack.Now()
	lose(t, 3, true)
	n, losses := msgtrack.Claim(mark)
	require.Equalf(t, 3, n, "got %d lost after the mark, want 3", n)
	require.Lenf(t, losses, 1, "got %d sites, want 1", len(losses))
	require.Equalf(t, 3, losses[0].Count, "got %d at the site, want 3", losses[0].Count)
	n, _ = msgtrack.Claim(mark)
	require.Zerof(t, n, "got %d lost after a second claim, want 0: each is reported once", n)

	n, losses = msgtrack.Claim(msgtrack.Mark{})
	require.Equalf(t, 2, n, "got %d lost before the mark, want 2", n)
	require.Lenf(t, losses, 1, "got %d sites, want 1", len(losses))
	require.NotEmpty(t, losses[0].Stack, "got no stack for the site")

	// Past what is kept: more from a kept site still count there; those
	// of a new site only count.
	for _, k := range []int{msgtrack.MaxKept, 5} {
		lose(t, k, false) // one site
	}
	lose(t, 2, true)
	n, losses = msgtrack.Claim(msgtrack.Mark{})
	require.Equalf(t, msgtrack.MaxKept+7, n, "got %d lost, want %d", n, msgtrack.MaxKept+7)
	require.Lenf(t, losses, 1, "got %d sites, want the 1 kept", len(losses))
	require.Equalf(t, msgtrack.MaxKept+5, losses[0].Count, "got %d at the kept site, want %d", losses[0].Count, msgtrack.MaxKept+5)
}

func TestNotLostUnlessLibrary(t *testing.T) {
	msgtrack.Claim(msgtrack.Mark{})
	for _, o := range []msgtrack.Owner{msgtrack.User, msgtrack.Freed} {
		r := tracked(t)
		r.TakeOver(0)
		r.Set(o)
		msgtrack.Collected(r)
	}
	n, _ := msgtrack.Claim(msgtrack.Mark{})
	require.Zerof(t, n, "got %d lost, want 0: the user's and the pool's are not", n)
}
