package interop_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/interop"
	"github.com/spgo/sp/internal/sptest"
	"github.com/spgo/sp/internal/wire"
	"github.com/spgo/sp/protocol/star"
)

// Star is mangos' protocol, and macat (mangos v3.4.2) its only other
// implementation. What macat does, as checked here and in the req/rep and bus
// tests: it takes nanocat's address flags (--bind, --connect), protocol flags
// without a version (--req, --bus, --star), and its durations are Go
// durations (a bare number is whole seconds); --send-interval (-i) repeats
// --data, and a member with --data receives between sends. Its --connect
// tries once at once and fails (exit 1) with no listener. A req exits after
// the reply; rep, bus and star without --count run until killed. There is no
// --version. Its --quoted escapes a message as nngcat's does but prints it
// without the surrounding double quotes: "hi\n" arrives as the line hi\n.

// TestStar: star both ways against macat --star: sp sends p once, macat
// sends answer(p) every 0.2 s (a star, like a bus, drops what it sends
// before it has a peer), each receives the other's bytes exactly.
func TestStar(t *testing.T) {
	forEachConn(t, []tool{macat}, func(t *testing.T, tl tool, tr transport, spListens bool, p payload) {
		s := newSocket(t, star.NewSocket)
		pipes := sptest.CountPipes(s, nil)
		theirs := answer(p)
		args := append([]string{"--star", "--raw", "--file", writeFile(t, theirs)}, tl.every(200*time.Millisecond)...)
		c := connect(t, s, tl, tr, spListens, args...)
		pipes.WaitLive(t, 1)
		require.NoError(t, s.Send(ctx(t), p.b))
		got, err := s.Recv(ctx(t))
		require.NoError(t, err)
		requireBytes(t, theirs, got, "sp star received")
		waitExact(t, c, tl, p.b, false)
	})
}

// TestStarRelay checks star's forwarding across implementations, with sp in
// both roles: an sp star that two macat members dial passes each one's
// messages to the other (and never back to the sender), and a macat star
// that two sp members dial passes one's message to the other.
func TestStarRelay(t *testing.T) {
	for _, tr := range transports {
		t.Run("sp-hub/"+tr.name, func(t *testing.T) {
			t.Parallel()
			macat.path(t)
			hub := newSocket(t, star.NewSocket)
			pipes := sptest.CountPipes(hub, nil)
			url := listen(t, hub, tr)
			names := []string{"alpha", "beta"}
			procs := make([]*interop.Proc, len(names))
			for i, name := range names {
				procs[i] = macat.start(t, append([]string{"--star", "--connect", url, "--data", name, "--quoted"},
					macat.every(200*time.Millisecond)...)...)
			}
			pipes.WaitLive(t, len(names))
			for i, p := range procs {
				p.WaitStdout(t, []byte(names[1-i]+"\n"), timeout)
			}
			for i, p := range procs {
				for _, line := range strings.Split(strings.TrimSpace(string(p.Stdout())), "\n") {
					require.Equal(t, names[1-i], line, "%s printed %q, want only the other's name", names[i], p.Stdout())
				}
			}
		})
		t.Run("macat-hub/"+tr.name, func(t *testing.T) {
			t.Parallel()
			url := tr.free(t)
			hub := macat.start(t, "--star", "--bind", url, "--quoted")
			a, b := newSocket(t, star.NewSocket), newSocket(t, star.NewSocket)
			pa, pb := sptest.CountPipes(a, nil), sptest.CountPipes(b, nil)
			dial(t, a, url)
			dial(t, b, url)
			pa.WaitLive(t, 1)
			pb.WaitLive(t, 1)
			// The hub may attach b's pipe a moment after b has it: send
			// until b hears a through the hub.
			require.NoError(t, sp.SetOption(b, sp.RecvTimeout, 300*time.Millisecond))
			deadline := time.Now().Add(timeout)
			var got []byte
			for sends := 1; got == nil; sends++ {
				require.NoError(t, a.Send(ctx(t), []byte("from a")))
				m, err := b.Recv(ctx(t))
				if err == nil {
					got = m
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("b heard nothing from a through the macat hub after %d sends: %v", sends, err)
				}
			}
			require.Equal(t, "from a", string(got), "b received %q, want %q", got, "from a")
			hub.WaitStdout(t, []byte("from a\n"), timeout)
			// a does not hear its own message back.
			require.NoError(t, sp.SetOption(a, sp.RecvTimeout, 300*time.Millisecond))
			echo, err := a.Recv(ctx(t))
			require.ErrorIs(t, err, sp.ErrTimeout, "a received %q, want nothing (its own message back)", echo)
		})
	}
}

// TestStarMacatHopCount pins down how mangos counts star hops, with a raw sp
// star and macat --star, over each transport: macat originates a message
// with hop count 0 on the wire (sp sends 1), and it drops a message that
// arrives with a count of 8 or more (sp drops only over sp.MaxTTL, 8), so a
// message that sp would still deliver after 8 hops stops at a mangos member.
func TestStarMacatHopCount(t *testing.T) {
	for _, tr := range transports {
		t.Run("macat/"+tr.name, func(t *testing.T) {
			t.Parallel()
			s := newSocket(t, star.NewRawSocket)
			url := listen(t, s, tr)
			c := macat.start(t, append([]string{"--star", "--connect", url, "--data", "from macat", "--quoted"},
				macat.every(200*time.Millisecond)...)...)
			m, err := s.RecvMsg(ctx(t))
			require.NoError(t, err)
			require.Equal(t, "from macat", string(m.Body), "sp raw star received %q, want %q", m.Body, "from macat")
			require.Equal(t, []byte{0, 0, 0, 0}, m.Header, "hop header from macat: got % x, want 00 00 00 00", m.Header)
			// A raw sp star sends its Header's count plus one: 8, then 7.
			for _, f := range []struct {
				hop  uint32
				body string
			}{{7, "eight hops"}, {6, "seven hops"}} {
				out := sp.NewMessage(16)
				out.Header = wire.AppendUint32(out.Header, f.hop)
				out.Body = append(out.Body, f.body...)
				require.NoError(t, s.SendMsg(ctx(t), out))
			}
			// One pipe keeps order: had macat taken "eight hops", it
			// would have printed it first.
			c.WaitStdout(t, []byte("seven hops\n"), timeout)
			require.Equal(t, "seven hops\n", string(c.Stdout()), "macat printed %q, want only the 7-hop message", c.Stdout())
		})
	}
}
