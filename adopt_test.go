package sp_test

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/spgo/sp"
	"github.com/spgo/sp/protocol/pub"
	"github.com/spgo/sp/protocol/pull"
	"github.com/spgo/sp/protocol/rep"
	"github.com/spgo/sp/protocol/req"
)

// serveEcho answers every request on s with "echo:" + the request until the
// test ends.
func serveEcho(t *testing.T, s sp.Socket) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- rep.Serve(ctx, s, func(_ context.Context, b []byte) ([]byte, error) {
			return append([]byte("echo:"), b...), nil
		})
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
}

// askEcho sends three requests on s and checks the replies of serveEcho.
func askEcho(t *testing.T, s sp.Socket) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, q := range []string{"a", "bb", string(make([]byte, 70000))} {
		got, err := req.Request(ctx, s, []byte(q))
		require.NoError(t, err)
		require.Equal(t, "echo:"+q, string(got), "got a reply of %d bytes, want %d", len(got), 5+len(q))
	}
}

// unixPath returns a socket path short enough for sun_path.
func unixPath(t *testing.T) string {
	dir := t.TempDir()
	if p := filepath.Join(dir, "s.sock"); len(p) < 100 {
		return p
	}
	return filepath.Join("/tmp", filepath.Base(dir)+".sock")
}

// TestListenOn serves rep on listeners the test made, and reaches them by
// dialing the transport of the listener's network: the ipc dialer speaks
// the ipc framing, so a reply over unix proves the listener does too.
func TestListenOn(t *testing.T) {
	tests := []struct {
		name    string
		network string
		addr    func(t *testing.T) string
		scheme  string
	}{
		{"tcp", "tcp", func(*testing.T) string { return "127.0.0.1:0" }, "tcp://"},
		{"unix", "unix", unixPath, "ipc://"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.network == "unix" && runtime.GOOS == "windows" {
				t.Skip("AF_UNIX listeners need Windows 10 1803; not tested here")
			}
			nl, err := net.Listen(tt.network, tt.addr(t))
			require.NoError(t, err)
			srv := mustSocket(t, rep.NewSocket)
			l, err := srv.ListenOn(nl)
			require.NoError(t, err)
			want := tt.scheme + nl.Addr().String()
			require.Equal(t, want, l.URL(), "URL: got %s, want %s", l.URL(), want)
			require.Equal(t, nl.Addr(), l.Addr(), "Addr: got %v, want %v", l.Addr(), nl.Addr())
			serveEcho(t, srv)

			cli := mustSocket(t, req.NewSocket)
			require.NoError(t, cli.Dial(l.URL(), sp.WithDialSync()))
			askEcho(t, cli)
			st := srv.Stats()
			require.Len(t, st.Endpoints, 1)
			require.Equal(t, want, st.Endpoints[0].URL, "Stats endpoint: got %s, want %s", st.Endpoints[0].URL, want)
			require.Equal(t, 1, st.Endpoints[0].Pipes, "Stats pipes: got %d, want 1", st.Endpoints[0].Pipes)

			require.ErrorIs(t, l.Listen(), sp.ErrBadState, "Listen on a ListenOn listener")
			require.NoError(t, l.Close())
			_, err = nl.Accept()
			require.ErrorIs(t, err, net.ErrClosed, "Accept on l after Listener.Close: got %v, want net.ErrClosed", err)
		})
	}
}

// fakeListener is a listener of a network no transport adopts.
type fakeListener struct{ closed bool }

func (l *fakeListener) Accept() (net.Conn, error) { return nil, errors.New("fake") }
func (l *fakeListener) Close() error              { l.closed = true; return nil }
func (l *fakeListener) Addr() net.Addr            { return fakeAddr{} }

type fakeAddr struct{}

func (fakeAddr) Network() string { return "carrier-pigeon" }
func (fakeAddr) String() string  { return "coop" }

// TestListenOnFails checks ListenOn's errors, and that l stays the
// caller's, open, when it fails.
func TestListenOnFails(t *testing.T) {
	t.Run("unsupported network", func(t *testing.T) {
		s := mustSocket(t, rep.NewSocket)
		fl := &fakeListener{}
		_, err := s.ListenOn(fl)
		require.ErrorIs(t, err, sp.ErrNotSupported)
		var oe *sp.OpError
		require.ErrorAs(t, err, &oe)
		require.Equal(t, "listen", oe.Op, "got Op %q, want listen", oe.Op)
		require.False(t, fl.closed, "ListenOn closed a listener it refused")
	})
	t.Run("closed socket", func(t *testing.T) {
		s := mustSocket(t, rep.NewSocket)
		require.NoError(t, s.Close())
		nl, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		defer nl.Close()
		_, err = s.ListenOn(nl)
		require.ErrorIs(t, err, sp.ErrClosed)
		tl := nl.(*net.TCPListener)
		require.NoError(t, tl.SetDeadline(time.Now()))
		_, err = tl.Accept()
		require.ErrorIs(t, err, os.ErrDeadlineExceeded, "Accept on l after a failed ListenOn: got %v, want a timeout (l open)", err)
	})
	t.Run("nil listener", func(t *testing.T) {
		s := mustSocket(t, rep.NewSocket)
		_, err := s.ListenOn(nil)
		require.ErrorIs(t, err, sp.ErrBadState)
	})
}

// connPair returns two connected ends of a stream, made as kind says.
type connPair func(t *testing.T) (net.Conn, net.Conn)

func pipePair(*testing.T) (net.Conn, net.Conn) { return net.Pipe() }

func tcpPair(t *testing.T) (net.Conn, net.Conn) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	a, err := net.Dial("tcp", l.Addr().String())
	require.NoError(t, err)
	b, err := l.Accept()
	require.NoError(t, err)
	return a, b
}

// connPairs are the kinds of connection AddConn is tested over; the unix
// build adds socketpairs.
var connPairs = map[string]connPair{"net.Pipe": pipePair, "tcp": tcpPair}

// addBoth runs AddConn on both sockets at once, as two processes handed
// the two ends would.
func addBoth(t *testing.T, a, b sp.Socket, ca, cb net.Conn) (pa, pb sp.Pipe) {
	t.Helper()
	var wg sync.WaitGroup
	var erra, errb error
	wg.Add(2)
	go func() { defer wg.Done(); pa, erra = a.AddConn(ca) }()
	go func() { defer wg.Done(); pb, errb = b.AddConn(cb) }()
	wg.Wait()
	require.NoError(t, erra)
	require.NoError(t, errb)
	return pa, pb
}

// TestAddConn makes pipes of connected pairs of every kind and exchanges
// requests over them, both ways round.
func TestAddConn(t *testing.T) {
	for name, pair := range connPairs {
		t.Run(name, func(t *testing.T) {
			srv := mustSocket(t, rep.NewSocket)
			cli := mustSocket(t, req.NewSocket)
			c1, c2 := pair(t)
			ps, pc := addBoth(t, srv, cli, c1, c2)
			require.Equal(t, uint16(0x30), ps.PeerProtocol(), "server's peer: got 0x%x, want 0x30", ps.PeerProtocol())
			require.Equal(t, uint16(0x31), pc.PeerProtocol(), "client's peer: got 0x%x, want 0x31", pc.PeerProtocol())
			serveEcho(t, srv)
			askEcho(t, cli)

			st := srv.Stats()
			require.Len(t, st.Endpoints, 1)
			require.Equal(t, sp.AdoptedURL, st.Endpoints[0].URL, "Stats endpoint: got %s, want %s", st.Endpoints[0].URL, sp.AdoptedURL)
			require.Equal(t, 1, st.Endpoints[0].Pipes, "Stats pipes: got %d, want 1", st.Endpoints[0].Pipes)
			require.Equal(t, uint64(1), st.Endpoints[0].Connections.Connects)

			// A second pair joins the same endpoint.
			cli2 := mustSocket(t, req.NewSocket)
			c3, c4 := pair(t)
			addBoth(t, srv, cli2, c3, c4)
			askEcho(t, cli2)
			st = srv.Stats()
			require.Len(t, st.Endpoints, 1)
			require.Equal(t, 2, st.Endpoints[0].Pipes, "Stats pipes: got %d, want 2", st.Endpoints[0].Pipes)

			// Closing the pipe closes the connection.
			require.NoError(t, ps.Close())
			_, err := c1.Read(make([]byte, 1))
			require.Error(t, err, "Read on a closed pipe's connection")
		})
	}
}

// TestAddConnSpeaksTCPMapping plays the peer by hand over a net.Pipe: the
// 8-byte handshake, then a frame with a 64-bit length and no type byte,
// as nng's socket:// does.
func TestAddConnSpeaksTCPMapping(t *testing.T) {
	s := mustSocket(t, pull.NewSocket)
	ours, theirs := net.Pipe()
	defer theirs.Close()
	added := make(chan error, 1)
	go func() {
		_, err := s.AddConn(ours)
		added <- err
	}()
	// A synchronous pipe: read the socket's header before writing ours
	// would deadlock a peer that wrote first and only then read.
	got := make([]byte, 8)
	_, err := io.ReadFull(theirs, got)
	require.NoError(t, err)
	require.Equal(t, []byte{0, 'S', 'P', 0, 0x00, 0x51, 0, 0}, got, "handshake: got % x, want pull's", got)
	_, err = theirs.Write([]byte{0, 'S', 'P', 0, 0x00, 0x50, 0, 0}) // push
	require.NoError(t, err)
	require.NoError(t, <-added)

	frame := binary.BigEndian.AppendUint64(nil, 5)
	frame = append(frame, "hello"...)
	_, err = theirs.Write(frame)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	b, err := s.Recv(ctx)
	require.NoError(t, err)
	require.Equal(t, "hello", string(b), "got %q, want hello", b)
}

// TestAddConnFails checks AddConn's errors, and that it closes the
// connection it was given whenever it fails.
func TestAddConnFails(t *testing.T) {
	tests := []struct {
		name string
		// setup prepares s and the peer's end; it may return a socket
		// to add the peer's end to.
		setup func(t *testing.T, s sp.Socket, peer net.Conn) sp.Socket
		want  error
	}{
		{"wrong protocol", func(t *testing.T, _ sp.Socket, _ net.Conn) sp.Socket {
			return mustSocket(t, pub.NewSocket)
		}, sp.ErrBadProtocol},
		{"silent peer", func(t *testing.T, s sp.Socket, peer net.Conn) sp.Socket {
			require.NoError(t, sp.SetOption(s, sp.HandshakeTimeout, 50*time.Millisecond))
			go io.Copy(io.Discard, peer) // reads, never writes
			return nil
		}, sp.ErrTimeout},
		{"garbage", func(t *testing.T, _ sp.Socket, peer net.Conn) sp.Socket {
			go peer.Write([]byte("GET / HTTP/1.1\r\n"))
			go io.Copy(io.Discard, peer)
			return nil
		}, sp.ErrBadProtocol},
		{"closed socket", func(t *testing.T, s sp.Socket, _ net.Conn) sp.Socket {
			require.NoError(t, s.Close())
			return nil
		}, sp.ErrClosed},
		{"shutting down", func(t *testing.T, s sp.Socket, _ net.Conn) sp.Socket {
			require.NoError(t, s.Shutdown(context.Background()))
			return nil
		}, sp.ErrClosed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := mustSocket(t, req.NewSocket)
			ours, theirs := net.Pipe()
			defer theirs.Close()
			other := tt.setup(t, s, theirs)
			if other != nil {
				go other.AddConn(theirs)
			}
			p, err := s.AddConn(ours)
			require.ErrorIs(t, err, tt.want, "got %v, want %v", err, tt.want)
			require.Nil(t, p)
			var oe *sp.OpError
			require.ErrorAs(t, err, &oe)
			require.Equal(t, "add", oe.Op, "got Op %q, want add", oe.Op)
			require.Equal(t, sp.AdoptedURL, oe.URL, "got URL %q, want %s", oe.URL, sp.AdoptedURL)
			_, err = ours.Write([]byte{0})
			require.ErrorIs(t, err, io.ErrClosedPipe, "Write on the conn after a failed AddConn: got %v, want it closed", err)
		})
	}
}

// TestAddConnSocketCloseEndsHandshake checks that closing the socket ends
// an AddConn waiting for its peer's handshake.
func TestAddConnSocketCloseEndsHandshake(t *testing.T) {
	s := mustSocket(t, req.NewSocket)
	ours, theirs := net.Pipe()
	defer theirs.Close()
	go io.Copy(io.Discard, theirs)
	errc := make(chan error, 1)
	go func() {
		_, err := s.AddConn(ours)
		errc <- err
	}()
	time.Sleep(20 * time.Millisecond) // let AddConn start waiting, if it can
	require.NoError(t, s.Close())
	select {
	case err := <-errc:
		require.ErrorIs(t, err, sp.ErrClosed)
	case <-time.After(5 * time.Second):
		t.Fatal("AddConn still waiting 5 s after Close")
	}
}
