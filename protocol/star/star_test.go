package star_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/sptest"
	"github.com/spgo/sp/internal/wire"
	"github.com/spgo/sp/protocol/star"
	"github.com/stretchr/testify/require"
)

type ctor = func() (sp.Socket, error)

func recvMsg(t *testing.T, s sp.Socket, who string) *sp.Message {
	t.Helper()
	m, err := s.RecvMsg(sptest.Ctx(t))
	require.NoError(t, err, "%s: RecvMsg", who)
	return m
}

func recvString(t *testing.T, s sp.Socket, want, who string) {
	t.Helper()
	m := recvMsg(t, s, who)
	require.Equal(t, want, string(m.Body), "%s: got %q, want %q", who, m.Body, want)
}

// In a hub with leaves, every message reaches every other member exactly
// once, whether the hub is a cooked member or a raw socket in a device.
func TestStarHubLeavesExactlyOnce(t *testing.T) {
	for _, tc := range []struct {
		name   string
		newHub ctor
		device bool // the hub is a raw device, not a member
	}{{"cooked-hub", star.NewSocket, false}, {"device-hub", star.NewRawSocket, true}} {
		t.Run(tc.name, func(t *testing.T) {
			sptest.Transports(t, func(t *testing.T, tr sptest.Transport) {
				hub := sptest.New(t, tc.newHub)
				hubPipes := sptest.CountPipes(hub, nil)
				addr := sptest.Listen(t, hub, tr.Addr(t))
				members := []sp.Socket{}
				if !tc.device {
					members = append(members, hub)
				}
				for range 4 {
					l := sptest.New(t, star.NewSocket)
					sptest.Dial(t, l, addr)
					members = append(members, l)
				}
				hubPipes.WaitLive(t, 4)
				if tc.device {
					ctx, cancel := context.WithCancel(context.Background())
					done := make(chan error, 1)
					go func() { done <- sp.Device(ctx, hub, nil) }()
					t.Cleanup(func() {
						cancel()
						require.ErrorIs(t, <-done, context.Canceled)
					})
				}
				ctx := sptest.Ctx(t)
				// Everyone at once: each gets the others' messages.
				for i, s := range members {
					require.NoError(t, s.Send(ctx, []byte(fmt.Sprint("from ", i))))
				}
				for i, s := range members {
					var got, want []string
					for j := range members {
						if j != i {
							want = append(want, fmt.Sprint("from ", j))
							got = append(got, string(recvMsg(t, s, fmt.Sprint("member ", i)).Body))
						}
					}
					slices.Sort(got)
					require.Equal(t, want, got, "member %d: got %q, want %q", i, got, want)
				}
				// Then one at a time, twice: each member's next message is
				// the one just sent, so nothing was duplicated or echoed.
				for pass := range 2 {
					for i, s := range members {
						body := fmt.Sprintf("pass %d from %d", pass, i)
						require.NoError(t, s.Send(ctx, []byte(body)))
						for j, o := range members {
							if j != i {
								recvString(t, o, body, fmt.Sprint("member ", j))
							}
						}
					}
				}
			})
		})
	}
}

// chain connects the sockets in a line, each dialing the next, and waits
// until every link is up at both ends.
func chain(t *testing.T, tr sptest.Transport, ss ...sp.Socket) {
	t.Helper()
	for i := 1; i < len(ss); i++ {
		sptest.Connect(t, ss[i-1], ss[i], tr.Addr(t))
	}
}

// Along a chain a-b-c-d each member forwards with the hop count incremented;
// a member does not forward what the next would drop as over sp.MaxTTL.
func TestStarChainHops(t *testing.T) {
	cases := []struct {
		name  string
		ttl   int // 0: default
		reach bool
	}{
		{"default max 8: d gets it after 3 hops", 0, true},
		{"max 3: d gets it after 3 hops", 3, true},
		{"max 2: c does not forward", 2, false},
	}
	sptest.Transports(t, func(t *testing.T, tr sptest.Transport) {
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				a, b, c := sptest.New(t, star.NewSocket), sptest.New(t, star.NewSocket), sptest.New(t, star.NewSocket)
				d := sptest.New(t, star.NewRawSocket)
				for _, s := range []sp.Socket{a, b, c, d} {
					if tc.ttl != 0 {
						require.NoError(t, sp.SetOption(s, sp.MaxTTL, tc.ttl))
					}
				}
				chain(t, tr, a, b, c, d)
				ctx := sptest.Ctx(t)
				require.NoError(t, a.Send(ctx, []byte("x")))
				recvString(t, b, "x", "b")
				recvString(t, c, "x", "c")
				require.NoError(t, c.Send(ctx, []byte("marker"))) // 1 hop to d
				want := []struct {
					body string
					hop  uint32
				}{{"x", 3}, {"marker", 1}}
				if !tc.reach {
					want = want[1:]
				}
				for _, w := range want {
					m := recvMsg(t, d, "d")
					require.Equal(t, w.body, string(m.Body), "d: got %q, want %q", m.Body, w.body)
					wantHdr := wire.AppendUint32(nil, w.hop)
					require.Equal(t, wantHdr, m.Header, "d: hop header: got % x, want % x", m.Header, wantHdr)
				}
				// The raw end does not forward: c gets nothing back from d,
				// so b's message is c's next one.
				require.NoError(t, b.Send(ctx, []byte("from b")))
				recvString(t, c, "from b", "c")
			})
		}
	})
}

// A raw sender increments the hop count in Header.
func TestStarRawHops(t *testing.T) {
	cases := []struct {
		name    string
		header  []byte
		want    []byte // nil: dropped
		wantErr error
	}{
		{"empty header counts 0", nil, []byte{0, 0, 0, 1}, nil},
		{"4 becomes 5", wire.AppendUint32(nil, 4), []byte{0, 0, 0, 5}, nil},
		{"7 becomes 8", wire.AppendUint32(nil, 7), []byte{0, 0, 0, 8}, nil},
		{"8 would be over the max", wire.AppendUint32(nil, 8), nil, nil},
		{"2-byte header", []byte{0, 1}, nil, sp.ErrMalformed},
		{"count over 0xff", wire.AppendUint32(nil, 0x1ff), nil, sp.ErrMalformed},
	}
	sptest.Transports(t, func(t *testing.T, tr sptest.Transport) {
		a, b := sptest.Pair(t, tr, star.NewRawSocket, star.NewRawSocket)
		ctx := sptest.Ctx(t)
		for _, tc := range cases {
			m := sp.NewMessage(8)
			m.Header = append(m.Header, tc.header...)
			m.Body = append(m.Body, tc.name...)
			err := a.SendMsg(ctx, m)
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr, "%s: got %v, want %v", tc.name, err, tc.wantErr)
			} else {
				require.NoError(t, err, tc.name)
			}
			require.NoError(t, a.Send(ctx, []byte("marker")))
			if tc.want != nil {
				got := recvMsg(t, b, tc.name)
				require.Equal(t, tc.name, string(got.Body), "got %q, want %q", got.Body, tc.name)
				require.Equal(t, tc.want, got.Header, "%s: got % x, want % x", tc.name, got.Header, tc.want)
			}
			recvString(t, b, "marker", tc.name)
		}
	})
}
