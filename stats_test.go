package sp_test

import (
	"context"
	"encoding/json"
	"expvar"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"testing/synctest"
	"time"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/interop"
	"github.com/spgo/sp/internal/wire"
	"github.com/spgo/sp/protocol/pub"
	"github.com/spgo/sp/protocol/pull"
	"github.com/spgo/sp/protocol/push"
	"github.com/spgo/sp/protocol/rep"
	"github.com/spgo/sp/protocol/req"
	"github.com/spgo/sp/protocol/sub"
	"github.com/stretchr/testify/require"
)

// eventually polls f until it holds, for counters updated by other
// goroutines.
func eventually(t *testing.T, what string, f func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !f() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: still not true after 5 s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func tcpURL(t *testing.T) string { return fmt.Sprintf("tcp://127.0.0.1:%d", interop.FreeTCPPort(t)) }

func TestStatsTraffic(t *testing.T) {
	// Over inproc the connection counts what it takes and receivers
	// count what they read in batches: both must add up like tcp's.
	for _, tr := range []string{"tcp", "inproc"} {
		t.Run(tr, func(t *testing.T) { testStatsTraffic(t, tr) })
	}
}

func testStatsTraffic(t *testing.T, tr string) {
	url := tcpURL(t)
	if tr == "inproc" {
		url = "inproc://" + t.Name()
	}
	rx := mustSocket(t, pull.NewSocket)
	require.NoError(t, sp.SetOption(rx, sp.SocketName, "sink"))
	_, err := rx.Listen(url)
	require.NoError(t, err)
	tx := mustSocket(t, push.NewSocket)
	d, err := tx.NewDialer(url, sp.WithDialSync())
	require.NoError(t, err)
	require.NoError(t, d.Dial())
	ctx := context.Background()
	for i := 0; i < 10; i++ {
		require.NoError(t, tx.Send(ctx, make([]byte, 100)))
		_, err := rx.Recv(ctx)
		require.NoError(t, err)
	}
	eventually(t, "push counts its sends", func() bool { return tx.Stats().MsgsSent == 10 })

	st := tx.Stats()
	require.Equal(t, "push", st.Protocol)
	require.Equal(t, uint64(1000), st.BytesSent, "push bytes sent")
	require.Equal(t, 1, st.Pipes)
	require.Len(t, st.Endpoints, 1)
	require.True(t, st.Endpoints[0].Dialer)
	require.Equal(t, uint64(10), st.Endpoints[0].MsgsSent, "dialer messages sent")
	require.Equal(t, uint64(1), st.Endpoints[0].Connects)
	require.Len(t, st.PipeList, 1)
	require.Equal(t, uint64(10), st.PipeList[0].MsgsSent, "pipe messages sent")
	require.Zero(t, st.PipeList[0].SendQueue, "pipe send queue with everything received")
	require.NotEmpty(t, st.PipeList[0].RemoteAddr)

	rs := rx.Stats()
	require.Equal(t, "sink", rs.Name)
	require.Equal(t, uint64(10), rs.MsgsRecv, "pull messages received")
	require.Equal(t, uint64(1000), rs.BytesRecv, "pull bytes received")
	require.Equal(t, uint64(1), rs.Connects)

	// A burst, received as fast as it comes: once it is all received, the
	// statistics show all of it.
	const burst = 300
	errc := make(chan error, 1)
	go func() {
		for i := 0; i < burst; i++ {
			if err := tx.Send(ctx, make([]byte, 10)); err != nil {
				errc <- err
				return
			}
		}
		errc <- nil
	}()
	for i := 0; i < burst; i++ {
		_, err := rx.Recv(ctx)
		require.NoError(t, err)
	}
	require.NoError(t, <-errc)
	rs = rx.Stats()
	require.Equal(t, uint64(10+burst), rs.MsgsRecv, "pull messages received after the burst")
	require.Equal(t, uint64(1000+10*burst), rs.BytesRecv, "pull bytes received after the burst")
	eventually(t, "push counts the burst", func() bool { return tx.Stats().MsgsSent == 10+burst })

	// A pipe that leaves keeps its traffic in the socket's totals.
	require.NoError(t, d.Close())
	eventually(t, "the listener sees the pipe leave", func() bool { return rx.Stats().Disconnects == 1 })
	st = tx.Stats()
	require.Equal(t, 0, st.Pipes)
	require.Equal(t, uint64(10+burst), st.MsgsSent, "push messages sent after the pipe left")
	require.Equal(t, uint64(10+burst), rx.Stats().MsgsRecv, "pull messages received after the pipe left")
}

func TestStatsConnections(t *testing.T) {
	url := tcpURL(t)
	s := mustSocket(t, rep.NewSocket)
	require.NoError(t, sp.SetOption(s, sp.HandshakeTimeout, 100*time.Millisecond))
	_, err := s.Listen(url)
	require.NoError(t, err)
	addr := url[len("tcp://"):]

	// A dial to nobody.
	lonely := mustSocket(t, req.NewSocket)
	require.Error(t, lonely.Dial(tcpURL(t), sp.WithDialSync()))
	require.Equal(t, uint64(1), lonely.Stats().DialFailures, "dial failures")

	// A garbage handshake, and a peer that says nothing.
	c, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer c.Close()
	_, err = c.Write([]byte("GET / HTTP/1.1\r\n\r\n"))
	require.NoError(t, err)
	silent, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer silent.Close()
	eventually(t, "two handshake failures", func() bool { return s.Stats().HandshakeFailures == 2 })

	// A peer of the wrong protocol.
	wrong := mustSocket(t, push.NewSocket)
	require.Error(t, wrong.Dial(url, sp.WithDialSync()))
	eventually(t, "a rejected peer", func() bool { return s.Stats().Rejected == 1 })
	require.Equal(t, uint64(0), s.Stats().Connects)
}

func TestStatsDrops(t *testing.T) {
	ctx := context.Background()
	t.Run("no match and queue full", func(t *testing.T) {
		url := "inproc://" + t.Name()
		p := mustSocket(t, pub.NewSocket)
		joined := make(chan struct{}, 1)
		p.SetPipeHook(func(ev sp.PipeEvent, _ sp.Pipe) bool {
			if ev == sp.PipeAdded {
				joined <- struct{}{}
			}
			return true
		})
		_, err := p.Listen(url)
		require.NoError(t, err)
		s := mustSocket(t, sub.NewSocket)
		require.NoError(t, sp.SetOption(s, sp.RecvQueueLen, 1))
		require.NoError(t, sp.SetOption(s, sub.SubscribeOption, []byte("a")))
		require.NoError(t, s.Dial(url, sp.WithDialSync()))
		<-joined
		require.NoError(t, p.Send(ctx, []byte("b")))
		eventually(t, "a message no topic matched", func() bool { return s.Stats().Drops.NoMatch == 1 })
		for i := 0; i < 3; i++ {
			require.NoError(t, p.Send(ctx, []byte("a")))
		}
		eventually(t, "messages beyond a full queue", func() bool { return s.Stats().Drops.QueueFull == 2 })
	})
	t.Run("too large", func(t *testing.T) {
		url := tcpURL(t)
		rx := mustSocket(t, pull.NewSocket)
		require.NoError(t, sp.SetOption(rx, sp.RecvMaxSize, 10))
		_, err := rx.Listen(url)
		require.NoError(t, err)
		tx := mustSocket(t, push.NewSocket)
		require.NoError(t, tx.Dial(url, sp.WithDialSync()))
		require.NoError(t, tx.Send(ctx, make([]byte, 11)))
		eventually(t, "a message over the limit", func() bool { return rx.Stats().Drops.TooLarge == 1 })
	})
	t.Run("ttl and malformed", func(t *testing.T) {
		url := tcpURL(t)
		s := mustSocket(t, rep.NewSocket)
		require.NoError(t, sp.SetOption(s, sp.MaxTTL, 2))
		_, err := s.Listen(url)
		require.NoError(t, err)
		c, err := net.Dial("tcp", url[len("tcp://"):])
		require.NoError(t, err)
		defer c.Close()
		frame := func(payload []byte) []byte {
			return append(wire.AppendFrameHeader(nil, false, len(payload)), payload...)
		}
		var b []byte
		b = wire.AppendHandshake(b, 0x30)
		// Three hops, more than MaxTTL 2: dropped.
		b = append(b, frame([]byte{0, 0, 0, 1, 0, 0, 0, 2, 0x80, 0, 0, 1})...)
		// A backtrace that never ends: the pipe is closed.
		b = append(b, frame([]byte{0, 0, 0, 1, 0, 0, 0, 2})...)
		_, err = c.Write(b)
		require.NoError(t, err)
		eventually(t, "a message over MaxTTL", func() bool { return s.Stats().Drops.TTL == 1 })
		eventually(t, "a malformed backtrace", func() bool { return s.Stats().Drops.Malformed == 1 })
	})
}

func TestStatsProtocolCounters(t *testing.T) {
	// In a synctest bubble, on fake time: 50 ms with ResendTime 20 ms are
	// exactly two resends.
	synctest.Test(t, func(t *testing.T) {
		url := "inproc://" + t.Name()
		server := mustSocket(t, rep.NewSocket)
		_, err := server.Listen(url)
		require.NoError(t, err)
		client := mustSocket(t, req.NewSocket)
		require.NoError(t, sp.SetOption(client, req.ResendTime, 20*time.Millisecond))
		require.NoError(t, client.Dial(url, sp.WithDialSync()))
		require.NoError(t, client.Send(context.Background(), []byte("q")))
		time.Sleep(50 * time.Millisecond)
		synctest.Wait()
		got := client.Stats().Counters["resends"]
		require.Equal(t, uint64(2), got, "resends of a request nobody answers after 50 ms: got %d, want 2", got)
	})
}

func TestStatsHandler(t *testing.T) {
	url := "inproc://" + t.Name()
	a := mustSocket(t, pull.NewSocket)
	require.NoError(t, sp.SetOption(a, sp.SocketName, "jobs"))
	_, err := a.Listen(url)
	require.NoError(t, err)
	b := mustSocket(t, push.NewSocket)
	require.NoError(t, b.Dial(url, sp.WithDialSync()))
	require.NoError(t, b.Send(context.Background(), []byte("job")))
	_, err = a.Recv(context.Background())
	require.NoError(t, err)

	srv := httptest.NewServer(sp.StatsHandler(a, b))
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, "application/json", resp.Header.Get("Content-Type"))
	var got []sp.SocketStats
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&got))
	require.Len(t, got, 2)
	require.Equal(t, "jobs", got[0].Name)
	require.Equal(t, uint64(1), got[0].MsgsRecv, "messages received, as served")
	require.Equal(t, "push", got[1].Protocol)

	name := fmt.Sprintf("sp-test-stats-%d", time.Now().UnixNano()) // expvar names live for the process
	sp.PublishStats(name, a)
	var pub []sp.SocketStats
	require.NoError(t, json.Unmarshal([]byte(expvar.Get(name).String()), &pub))
	require.Len(t, pub, 1)
	require.Equal(t, "jobs", pub[0].Name)
}
