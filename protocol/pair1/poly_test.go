package pair1_test

import (
	"fmt"
	"testing"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/sptest"
	"github.com/spgo/sp/protocol/pair1"
	"github.com/stretchr/testify/require"
)

// recvString receives one message from s and checks its body.
func recvString(t *testing.T, s sp.Socket, want, who string) {
	t.Helper()
	got, err := s.Recv(sptest.Ctx(t))
	require.NoError(t, err, "%s: Recv, want %q", who, want)
	require.Equal(t, want, string(got), "%s: got %q, want %q", who, got, want)
}

// sendTo sends body to pipe p of s.
func sendTo(t *testing.T, s sp.Socket, p sp.Pipe, body string) {
	t.Helper()
	m := sp.NewMessage(len(body))
	m.Body = append(m.Body, body...)
	m.SetPipe(p)
	require.NoError(t, s.SendMsg(sptest.Ctx(t), m), "SendMsg %q", body)
}

// A polyamorous hub tells its peers apart by m.Pipe() and answers each
// through it; a message without a pipe goes to the oldest peer; one for a
// peer that has gone is dropped without error.
func TestPair1Polyamorous(t *testing.T) {
	sptest.Transports(t, func(t *testing.T, tr sptest.Transport) {
		hub := sptest.New(t, pair1.NewPolySocket)
		hubPipes := sptest.CountPipes(hub, nil)
		addr := sptest.Listen(t, hub, tr.Addr(t))
		const n = 3
		leaves := make([]sp.Socket, n)
		for i := range leaves {
			leaves[i] = sptest.New(t, pair1.NewSocket)
			sptest.Dial(t, leaves[i], addr)
			hubPipes.WaitLive(t, i+1) // so that leaf 0 is the oldest peer
		}
		ctx := sptest.Ctx(t)
		for i, l := range leaves {
			require.NoError(t, l.Send(ctx, []byte(fmt.Sprintf("from %d", i))))
		}
		pipes := make([]sp.Pipe, n)
		for range n {
			m, err := hub.RecvMsg(ctx)
			require.NoError(t, err)
			var i int
			_, err = fmt.Sscanf(string(m.Body), "from %d", &i)
			require.NoError(t, err, "body %q", m.Body)
			require.Nil(t, pipes[i], "two messages from leaf %d", i)
			pipes[i] = m.Pipe()
		}
		for i := range n {
			for j := range i {
				require.NotEqual(t, pipes[i].ID(), pipes[j].ID(), "leaves %d and %d share a pipe", i, j)
			}
		}

		// Each answer goes to the leaf it is addressed to. Sent in reverse
		// order, so that a round robin would show.
		for i := n - 1; i >= 0; i-- {
			sendTo(t, hub, pipes[i], fmt.Sprintf("to %d", i))
		}
		for i, l := range leaves {
			recvString(t, l, fmt.Sprintf("to %d", i), fmt.Sprintf("leaf %d", i))
		}

		// A received message sent back returns to its sender.
		require.NoError(t, leaves[2].Send(ctx, []byte("echo")))
		m, err := hub.RecvMsg(ctx)
		require.NoError(t, err)
		require.NoError(t, hub.SendMsg(ctx, m))
		recvString(t, leaves[2], "echo", "leaf 2")

		// No pipe, or another socket's pipe: the oldest peer. The others'
		// next message is the marker addressed to them.
		require.NoError(t, hub.Send(ctx, []byte("anyone")))
		recvString(t, leaves[0], "anyone", "leaf 0")
		sendTo(t, hub, pipes[1], "via leaf 1")
		m, err = leaves[1].RecvMsg(ctx)
		require.NoError(t, err)
		require.Equal(t, "via leaf 1", string(m.Body))
		require.NoError(t, hub.SendMsg(ctx, m)) // m.Pipe() is leaf 1's own pipe
		recvString(t, leaves[0], "via leaf 1", "leaf 0")
		for i := 1; i < n; i++ {
			sendTo(t, hub, pipes[i], "marker")
			recvString(t, leaves[i], "marker", fmt.Sprintf("leaf %d", i))
		}

		// A peer that has gone: dropped, no error, nobody else gets it.
		require.NoError(t, leaves[1].Close())
		hubPipes.WaitLive(t, n-1)
		sendTo(t, hub, pipes[1], "to the departed")
		for _, i := range []int{0, 2} {
			sendTo(t, hub, pipes[i], "after")
			recvString(t, leaves[i], "after", fmt.Sprintf("leaf %d", i))
		}
	})
}

// Polyamorous can be set before the first Dial or Listen, and not after.
func TestPair1PolyamorousOption(t *testing.T) {
	yes, no := true, false
	cases := []struct {
		name    string
		new     ctor
		start   func(t *testing.T, s sp.Socket) // nil: not started
		set     *bool                           // nil: not set
		wantErr error
		want    bool
	}{
		{"default", pair1.NewSocket, nil, nil, nil, false},
		{"NewPolySocket", pair1.NewPolySocket, nil, nil, nil, true},
		{"raw, before start", pair1.NewRawSocket, nil, &yes, nil, true},
		{"after Listen", pair1.NewSocket, func(t *testing.T, s sp.Socket) {
			sptest.Listen(t, s, sptest.InprocAddr())
		}, &yes, sp.ErrBadState, false},
		{"after Dial", pair1.NewSocket, func(t *testing.T, s sp.Socket) {
			require.NoError(t, s.Dial(sptest.InprocAddr()))
		}, &yes, sp.ErrBadState, false},
		{"after NewDialer", pair1.NewPolySocket, func(t *testing.T, s sp.Socket) {
			_, err := s.NewDialer(sptest.InprocAddr())
			require.NoError(t, err)
		}, &no, sp.ErrBadState, true},
		{"after NewListener", pair1.NewSocket, func(t *testing.T, s sp.Socket) {
			_, err := s.NewListener(sptest.InprocAddr())
			require.NoError(t, err)
		}, &yes, sp.ErrBadState, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := sptest.New(t, tc.new)
			if tc.start != nil {
				tc.start(t, s)
			}
			if tc.set != nil {
				err := sp.SetOption(s, pair1.Polyamorous, *tc.set)
				if tc.wantErr != nil {
					require.ErrorIs(t, err, tc.wantErr, "SetOption: got %v, want %v", err, tc.wantErr)
				} else {
					require.NoError(t, err)
				}
			}
			got, err := sp.GetOption(s, pair1.Polyamorous)
			require.NoError(t, err)
			require.Equal(t, tc.want, got, "Polyamorous: got %v, want %v", got, tc.want)
		})
	}
}

// A polyamorous socket keeps several peers where a monogamous one refuses
// all but the first.
func TestPair1PolyAcceptsMany(t *testing.T) {
	sptest.Transports(t, func(t *testing.T, tr sptest.Transport) {
		hub := sptest.New(t, pair1.NewPolySocket)
		hubPipes := sptest.CountPipes(hub, nil)
		addr := sptest.Listen(t, hub, tr.Addr(t))
		for range 4 {
			sptest.Dial(t, sptest.New(t, pair1.NewSocket), addr)
		}
		hubPipes.WaitLive(t, 4)
	})
}
