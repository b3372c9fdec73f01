package pub_test

import (
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/leaktest"
	"github.com/spgo/sp/internal/sptest"
	"github.com/spgo/sp/protocol/pub"
	"github.com/spgo/sp/protocol/sub"
	"github.com/stretchr/testify/require"
)

func TestMain(m *testing.M) { leaktest.VerifyTestMain(m) }

func subscribe(t *testing.T, s sp.Socket, topics ...string) {
	t.Helper()
	for _, topic := range topics {
		require.NoError(t, sp.SetOption(s, sub.SubscribeOption, []byte(topic)))
	}
}

// recvAll receives until the receive timeout and returns what came.
func recvAll(t *testing.T, s sp.Socket) []string {
	t.Helper()
	require.NoError(t, sp.SetOption(s, sp.RecvTimeout, 100*time.Millisecond))
	var got []string
	ctx := sptest.Ctx(t)
	for {
		b, err := s.Recv(ctx)
		if err != nil {
			require.ErrorIs(t, err, sp.ErrTimeout)
			return got
		}
		got = append(got, string(b))
	}
}

// recvUntil receives until the marker message and returns what came before.
func recvUntil(t *testing.T, s sp.Socket, marker string) []string {
	t.Helper()
	ctx := sptest.Ctx(t)
	var got []string
	for {
		b, err := s.Recv(ctx)
		require.NoError(t, err, "after %q", got)
		if string(b) == marker {
			return got
		}
		got = append(got, string(b))
	}
}

func TestSubTopics(t *testing.T) {
	sptest.Transports(t, func(t *testing.T, tr sptest.Transport) {
		p := sptest.New(t, pub.NewSocket)
		pipes := sptest.CountPipes(p, nil)
		addr := sptest.Listen(t, p, tr.Addr(t))
		const end = "\xffend" // every subscriber takes it, and it ends the test
		tests := []struct {
			name   string
			topics []string
			unsub  []string
			want   []string
		}{
			{name: "only the end marker", want: nil},
			{name: "everything", topics: []string{""},
				want: []string{"weather.paris 21", "weather.oslo 3", "news hi", "weath", ""}},
			{name: "prefix", topics: []string{"weather."},
				want: []string{"weather.paris 21", "weather.oslo 3"}},
			{name: "two topics", topics: []string{"weather.oslo", "news"},
				want: []string{"weather.oslo 3", "news hi"}},
			{name: "overlapping topics deliver once", topics: []string{"news", "new", "n"},
				want: []string{"news hi"}},
			{name: "unsubscribed", topics: []string{"weather.", "news"}, unsub: []string{"weather."},
				want: []string{"news hi"}},
			{name: "longer than the message", topics: []string{"weather.paris 21C and sunny"}, want: nil},
		}
		var subs []sp.Socket
		for _, tt := range tests {
			s := sptest.New(t, sub.NewSocket)
			subscribe(t, s, append(tt.topics, end)...)
			for _, u := range tt.unsub {
				require.NoError(t, sp.SetOption(s, sub.UnsubscribeOption, []byte(u)))
			}
			sptest.Dial(t, s, addr)
			subs = append(subs, s)
		}
		pipes.WaitLive(t, len(tests))
		ctx := sptest.Ctx(t)
		for _, m := range []string{"weather.paris 21", "weather.oslo 3", "news hi", "weath", "", end} {
			require.NoError(t, p.Send(ctx, []byte(m)))
		}
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				require.Equal(t, tt.want, recvUntil(t, subs[i], end), "topics %q", tt.topics)
			})
		}
	})
}

// A sub socket with no topic receives nothing.
func TestSubNothingSubscribed(t *testing.T) {
	s, p := sptest.Pair(t, sptest.All[0], sub.NewSocket, pub.NewSocket)
	require.NoError(t, p.Send(sptest.Ctx(t), []byte("anything")))
	require.Empty(t, recvAll(t, s))
}

func TestSubUnsubscribeUnknown(t *testing.T) {
	s := sptest.New(t, sub.NewSocket)
	err := sp.SetOption(s, sub.UnsubscribeOption, []byte("never"))
	require.ErrorIs(t, err, sp.ErrBadOption, "Unsubscribe of a topic never added: got %v", err)
	subscribe(t, s, "a", "a") // twice is once
	require.NoError(t, sp.SetOption(s, sub.UnsubscribeOption, []byte("a")))
	err = sp.SetOption(s, sub.UnsubscribeOption, []byte("a"))
	require.ErrorIs(t, err, sp.ErrBadOption, "second Unsubscribe: got %v", err)
}

// A subscriber that does not receive loses what does not fit in its own
// queue; the publisher and the other subscribers go on.
func TestSlowSubscriberDropsItsOwn(t *testing.T) {
	sptest.Transports(t, func(t *testing.T, tr sptest.Transport) {
		p := sptest.New(t, pub.NewSocket)
		pipes := sptest.CountPipes(p, nil)
		addr := sptest.Listen(t, p, tr.Addr(t))
		slow := sptest.New(t, sub.NewSocket)
		require.NoError(t, sp.SetOption(slow, sp.RecvQueueLen, 4))
		subscribe(t, slow, "")
		sptest.Dial(t, slow, addr)
		fast := []sp.Socket{sptest.New(t, sub.NewSocket), sptest.New(t, sub.NewSocket)}
		for _, s := range fast {
			subscribe(t, s, "")
			sptest.Dial(t, s, addr)
		}
		pipes.WaitLive(t, 3)
		ctx := sptest.Ctx(t)
		const n = 300
		for i := range n {
			require.NoError(t, p.Send(ctx, []byte(fmt.Sprint(i))))
			for _, s := range fast { // lockstep: the fast ones miss nothing
				b, err := s.Recv(ctx)
				require.NoError(t, err)
				require.Equal(t, fmt.Sprint(i), string(b))
			}
		}
		// It kept the first RecvQueueLen messages, then whatever found room
		// while this drains it (messages still in flight), in order; it
		// dropped most.
		got := recvAll(t, slow)
		require.GreaterOrEqual(t, len(got), 4)
		require.Equal(t, []string{"0", "1", "2", "3"}, got[:4], "the slow subscriber's first messages")
		require.Less(t, len(got), n/2, "the slow subscriber dropped too few: got %d of %d", len(got), n)
		for i := 1; i < len(got); i++ {
			var a, b int
			fmt.Sscan(got[i-1], &a)
			fmt.Sscan(got[i], &b)
			require.Less(t, a, b, "out of order: %v", got)
		}
	})
}

// A subscriber that never reads its connection at all fills the publisher's
// queue for it; Send still never blocks, and the other subscriber gets
// everything.
func TestStalledSubscriberDoesNotBlockPub(t *testing.T) {
	for _, tr := range sptest.All[1:] { // a raw connection: ipc and tcp
		t.Run(tr.Name, func(t *testing.T) {
			p := sptest.New(t, pub.NewSocket)
			require.NoError(t, sp.SetOption(p, sp.SendQueueLen, 2))
			pipes := sptest.CountPipes(p, nil)
			addr := sptest.Listen(t, p, tr.Addr(t))
			fast := sptest.New(t, sub.NewSocket)
			subscribe(t, fast, "")
			require.NoError(t, sp.SetOption(fast, sp.RecvMaxSize, 0))
			sptest.Dial(t, fast, addr)

			network, where := "tcp", strings.TrimPrefix(addr, "tcp://")
			if tr.Name == "ipc" {
				network, where = "unix", strings.TrimPrefix(addr, "ipc://")
			}
			stalled, err := net.Dial(network, where)
			require.NoError(t, err)
			defer stalled.Close()
			_, err = stalled.Write([]byte{0, 'S', 'P', 0, 0, sub.ProtocolID, 0, 0})
			require.NoError(t, err)
			pipes.WaitLive(t, 2)

			ctx := sptest.Ctx(t)
			const n, size = 300, 64 << 10
			msg := make([]byte, size)
			for i := range n {
				msg[0], msg[1] = byte(i>>8), byte(i)
				require.NoError(t, p.Send(ctx, msg))
				b, err := fast.Recv(ctx)
				require.NoError(t, err)
				require.Equal(t, i, int(b[0])<<8|int(b[1]), "the fast subscriber missed a message")
			}
			// The stalled one got what fitted in the buffers, not all.
			require.NoError(t, stalled.SetReadDeadline(time.Now().Add(300*time.Millisecond)))
			got, _ := io.Copy(io.Discard, stalled)
			require.Less(t, got, int64(n*size), "the stalled subscriber received everything: nothing was dropped")
		})
	}
}
