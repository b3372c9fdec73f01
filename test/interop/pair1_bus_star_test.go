package interop_test

import (
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/interop"
	"github.com/spgo/sp/internal/sptest"
	"github.com/spgo/sp/internal/wire"
	"github.com/spgo/sp/protocol/bus"
	"github.com/spgo/sp/protocol/pair1"
)

// nngcat has no bus, nanocat no pair1; only macat has star (macat_test.go).

// forEachConn runs fn as a parallel subtest for every tool of tls,
// transport, direction of connection and payload.
func forEachConn(t *testing.T, tls []tool, fn func(t *testing.T, tl tool, tr transport, spListens bool, p payload)) {
	for _, tl := range tls {
		for _, tr := range transports {
			for _, spListens := range []bool{true, false} {
				for _, p := range payloads {
					verb := map[bool]string{true: "listens", false: "dials"}[spListens]
					t.Run(fmt.Sprintf("%s/%s/sp-%s/%s", tl.name, tr.name, verb, p.name), func(t *testing.T) {
						t.Parallel()
						tl.path(t)
						fn(t, tl, tr, spListens, p)
					})
				}
			}
		}
	}
}

// TestPair1NNG: pair v1 both ways against every nngcat --pair1: sp sends p,
// nngcat sends answer(p), each receives the other's bytes exactly.
func TestPair1NNG(t *testing.T) {
	forEachConn(t, nngcats, func(t *testing.T, tl tool, tr transport, spListens bool, p payload) {
		s := newSocket(t, pair1.NewSocket)
		theirs := answer(p)
		// --interval and --count 1: send once, receive for a second, exit.
		c := connect(t, s, tl, tr, spListens,
			"--pair1", "--raw", "--file", writeFile(t, theirs), "--interval", "1", "--count", "1")
		require.NoError(t, s.Send(ctx(t), p.b))
		got, err := s.Recv(ctx(t))
		require.NoError(t, err)
		requireBytes(t, theirs, got, "sp pair1 received")
		waitExact(t, c, tl, p.b, false)
	})
}

// TestPair1NNGHopCount: nngcat (every version) sends hop count 1, which a
// raw sp socket shows in Header; a raw sp socket sends its Header's count
// plus one, and nngcat accepts up to its max TTL of 8.
func TestPair1NNGHopCount(t *testing.T) {
	for _, tl := range nngcats {
		for _, tr := range transports {
			t.Run(tl.name+"/"+tr.name, func(t *testing.T) {
				t.Parallel()
				pair1HopCount(t, tl, tr)
			})
		}
	}
}

// pair1HopCount is one case of TestPair1NNGHopCount.
func pair1HopCount(t *testing.T, tl tool, tr transport) {
	s := newSocket(t, pair1.NewRawSocket)
	url := listen(t, s, tr)
	c := tl.start(t, "--pair1", "--dial", url, "--data", "from nng",
		"--interval", "1", "--count", "1", "--quoted")
	m, err := s.RecvMsg(ctx(t))
	require.NoError(t, err)
	require.Equal(t, "from nng", string(m.Body))
	require.Equal(t, []byte{0, 0, 0, 1}, m.Header, "hop header from nngcat: got % x, want 00 00 00 01", m.Header)
	out := sp.NewMessage(16)
	out.Header = wire.AppendUint32(out.Header, 7) // sent as 8
	out.Body = append(out.Body, "eight hops"...)
	require.NoError(t, s.SendMsg(ctx(t), out))
	c.WaitStdout(t, []byte(`"eight hops"`), timeout)
}

// TestPair1NNGHeaderRules speaks to nngcat --pair1 with hand-made frames: a
// hop count over 8 is dropped, 8 is delivered, and a count over 0xff makes
// nngcat close the connection (every version).
func TestPair1NNGHeaderRules(t *testing.T) {
	for _, tl := range nngcats {
		for _, network := range []string{"tcp", "unix"} {
			t.Run(tl.name+"/"+network, func(t *testing.T) {
				t.Parallel()
				pair1HeaderRules(t, tl, network)
			})
		}
	}
}

// pair1HeaderRules is one case of TestPair1NNGHeaderRules.
func pair1HeaderRules(t *testing.T, tl tool, network string) {
	tl.path(t)
	addr, url := "127.0.0.1:0", ""
	if network == "unix" {
		addr = interop.IPCPath(t)
	}
	l, err := net.Listen(network, addr)
	require.NoError(t, err)
	defer l.Close()
	if url = "ipc://" + addr; network == "tcp" {
		url = "tcp://" + l.Addr().String()
	}
	c := tl.start(t, "--pair1", "--dial", url, "--quoted")
	conn, err := l.Accept()
	require.NoError(t, err)
	defer conn.Close()
	require.NoError(t, conn.SetDeadline(time.Now().Add(timeout)))
	_, err = conn.Write(wire.AppendHandshake(nil, pair1.ProtocolID))
	require.NoError(t, err)
	hs := make([]byte, wire.HandshakeSize)
	_, err = io.ReadFull(conn, hs)
	require.NoError(t, err)
	peer, err := wire.ParseHandshake(hs)
	require.NoError(t, err)
	require.Equal(t, uint16(pair1.PeerID), peer)
	ipc := network == "unix"
	for _, f := range []struct {
		hop  uint32
		body string
	}{{9, "nine"}, {0, "zero"}, {8, "eight"}, {0x100, "bad"}, {1, "after"}} {
		payload := append(wire.AppendUint32(nil, f.hop), f.body...)
		frame := append(wire.AppendFrameHeader(nil, ipc, len(payload)), payload...)
		if _, err := conn.Write(frame); err != nil {
			break // nngcat may have closed already
		}
	}
	// nngcat closes the connection on the bad header: reading ends.
	_, err = io.Copy(io.Discard, conn)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatalf("nngcat did not close the connection after a hop count of 0x100")
	}
	c.WaitStdout(t, []byte(`"eight"`), timeout)
	require.Equal(t, "\"zero\"\n\"eight\"\n", string(c.Stdout()), "nngcat printed")
}

// TestBus: bus both ways against nanocat --bus and macat --bus: sp sends p
// once, the peer sends answer(p) every 0.2 s (a bus drops what it sends
// before it has a peer), each receives the other's bytes exactly.
func TestBus(t *testing.T) {
	forEachConn(t, []tool{nanocat, macat}, func(t *testing.T, tl tool, tr transport, spListens bool, p payload) {
		s := newSocket(t, bus.NewSocket)
		pipes := sptest.CountPipes(s, nil)
		theirs := answer(p)
		args := append([]string{"--bus", "--raw", "--file", writeFile(t, theirs)}, tl.every(200*time.Millisecond)...)
		c := connect(t, s, tl, tr, spListens, args...)
		pipes.WaitLive(t, 1)
		require.NoError(t, s.Send(ctx(t), p.b))
		got, err := s.Recv(ctx(t))
		require.NoError(t, err)
		requireBytes(t, theirs, got, "sp bus received")
		waitExact(t, c, tl, p.b, false)
	})
}

// TestBusNanocatDevice: two nanocat bus members joined through a raw sp bus
// device hear each other, and neither hears its own message back.
func TestBusNanocatDevice(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			t.Parallel()
			hub := newSocket(t, bus.NewRawSocket)
			pipes := sptest.CountPipes(hub, nil)
			url := listen(t, hub, tr)
			c := sptest.Ctx(t)
			done := make(chan error, 1)
			go func() { done <- sp.Device(c, hub, nil) }()
			t.Cleanup(func() { hub.Close(); <-done })
			names := []string{"alpha", "beta"}
			procs := make([]*interop.Proc, len(names))
			for i, name := range names {
				procs[i] = nanocat.start(t, "--bus", "--connect", url, "--data", name,
					"--interval", "0.2", "--quoted")
			}
			pipes.WaitLive(t, len(names))
			for i, p := range procs {
				other := names[1-i]
				p.WaitStdout(t, []byte(fmt.Sprintf("%q", other)), timeout)
			}
			for i, p := range procs {
				for _, line := range strings.Split(strings.TrimSpace(string(p.Stdout())), "\n") {
					require.Equal(t, fmt.Sprintf("%q", names[1-i]), line, "%s printed %q", names[i], p.Stdout())
				}
			}
		})
	}
}
