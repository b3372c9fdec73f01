package core_test

import (
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/leaktest"
	"github.com/spgo/sp/internal/sptest"
	"github.com/spgo/sp/protocol/pull"
	"github.com/spgo/sp/protocol/push"
	"github.com/stretchr/testify/require"
)

func TestMain(m *testing.M) { leaktest.VerifyTestMain(m) }

func TestOptionDefaults(t *testing.T) {
	s := sptest.New(t, push.NewSocket)
	check := func(name string, got, want any, err error) {
		t.Helper()
		require.NoError(t, err, name)
		require.Equal(t, want, got, "%s: got %v, want %v", name, got, want)
	}
	v1, err := sp.GetOption(s, sp.RecvMaxSize)
	check("RecvMaxSize", v1, 1<<20, err)
	v2, err := sp.GetOption(s, sp.SendQueueLen)
	check("SendQueueLen", v2, 128, err)
	v3, err := sp.GetOption(s, sp.ReconnectMin)
	check("ReconnectMin", v3, 100*time.Millisecond, err)
	v4, err := sp.GetOption(s, sp.HandshakeTimeout)
	check("HandshakeTimeout", v4, 10*time.Second, err)
	v5, err := sp.GetOption(s, sp.MaxTTL)
	check("MaxTTL", v5, 8, err)
	v6, err := sp.GetOption(s, sp.TCPNoDelay)
	check("TCPNoDelay", v6, true, err)

	require.NoError(t, sp.SetOption(s, sp.RecvTimeout, time.Second))
	v7, err := sp.GetOption(s, sp.RecvTimeout)
	check("RecvTimeout after set", v7, time.Second, err)
}

func TestOptionErrors(t *testing.T) {
	s := sptest.New(t, push.NewSocket)
	tests := []struct {
		name string
		set  func() error
	}{
		{"unknown name", func() error { return sp.SetOption(s, sp.NewOption[int]("no-such-option"), 1) }},
		{"wrong type", func() error { return s.SetOptionValue("recv-max-size", "big") }},
		{"wrong type via a look-alike option", func() error { return sp.SetOption(s, sp.NewOption[string]("recv-timeout"), "1s") }},
		{"RecvMaxSize -1", func() error { return sp.SetOption(s, sp.RecvMaxSize, -1) }},
		{"SendQueueLen 0", func() error { return sp.SetOption(s, sp.SendQueueLen, 0) }},
		{"SendQueueLen 8193", func() error { return sp.SetOption(s, sp.SendQueueLen, 8193) }},
		{"RecvQueueLen 0", func() error { return sp.SetOption(s, sp.RecvQueueLen, 0) }},
		{"MaxTTL 0", func() error { return sp.SetOption(s, sp.MaxTTL, 0) }},
		{"MaxTTL 256", func() error { return sp.SetOption(s, sp.MaxTTL, 256) }},
		{"SendTimeout -1", func() error { return sp.SetOption(s, sp.SendTimeout, -time.Nanosecond) }},
		{"RecvTimeout -1", func() error { return sp.SetOption(s, sp.RecvTimeout, -time.Second) }},
		{"ReconnectMin 0", func() error { return sp.SetOption(s, sp.ReconnectMin, 0) }},
		{"HandshakeTimeout 0", func() error { return sp.SetOption(s, sp.HandshakeTimeout, 0) }},
		{"socket-only option on a dialer", func() error {
			return s.Dial(sptest.InprocAddr(), sp.With(sp.RecvQueueLen, 4))
		}},
		{"bad value on a listener", func() error {
			_, err := s.Listen(sptest.InprocAddr(), sp.With(sp.RecvMaxSize, -5))
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.set()
			require.ErrorIs(t, err, sp.ErrBadOption, "got %v, want ErrBadOption", err)
		})
	}
	_, err := sp.GetOption(s, sp.NewOption[string]("recv-max-size"))
	require.ErrorIs(t, err, sp.ErrBadOption, "GetOption with the wrong type: got %v", err)
	_, err = sp.GetOption(s, sp.NewOption[int]("no-such-option"))
	require.ErrorIs(t, err, sp.ErrBadOption, "GetOption of an unknown name: got %v", err)
	// A failed set changes nothing.
	v, err := sp.GetOption(s, sp.SendQueueLen)
	require.NoError(t, err)
	require.Equal(t, 128, v, "SendQueueLen after rejected sets: got %d, want 128", v)
}

// Endpoint options set on a dialer or listener override the socket's, and
// unset ones follow the socket's current value.
func TestEndpointOptions(t *testing.T) {
	s := sptest.New(t, pull.NewSocket)
	l, err := s.NewListener(sptest.InprocAddr(), sp.With(sp.RecvMaxSize, 100))
	require.NoError(t, err)
	require.Nil(t, l.Addr(), "Addr before Listen: got %v, want nil", l.Addr())
	v, err := sp.GetOption(l, sp.RecvMaxSize)
	require.NoError(t, err)
	require.Equal(t, 100, v)
	require.NoError(t, sp.SetOption(s, sp.HandshakeTimeout, time.Second))
	h, err := sp.GetOption(l, sp.HandshakeTimeout)
	require.NoError(t, err)
	require.Equal(t, time.Second, h, "listener must inherit the socket's HandshakeTimeout")
	_, err = sp.GetOption(l, sp.RecvQueueLen)
	require.ErrorIs(t, err, sp.ErrBadOption, "socket-only option read on a listener: got %v", err)

	require.NoError(t, l.Listen())
	require.NotNil(t, l.Addr())
	require.ErrorIs(t, l.Listen(), sp.ErrBadState, "second Listen of one listener")
	require.NoError(t, l.Close())
	require.NoError(t, l.Close(), "second Close of a listener")
}

func TestBadURLs(t *testing.T) {
	urls := []string{
		"",
		"nonsense",
		"://x",
		"tcp//127.0.0.1:5555",
		"foo://bar",
		"tcp://127.0.0.1",                   // no port
		"tcp://127.0.0.1:99999",             // port out of range
		"tcp://127.0.0.1:-1",                // negative port
		"tcp://127.0.0.1:5555/x",            // a path
		"tcp://::1:5555",                    // IPv6 without brackets
		"ipc://",                            // empty path
		"unix://",                           // empty path
		"inproc://",                         // empty name
		"ipc://" + strings.Repeat("x", 200), // longer than sun_path
	}
	if runtime.GOOS == "linux" {
		urls = append(urls, "abstract://")
	}
	for _, u := range urls {
		t.Run(u, func(t *testing.T) {
			s := sptest.New(t, push.NewSocket)
			err := s.Dial(u)
			require.ErrorIs(t, err, sp.ErrBadURL, "Dial(%q): got %v, want ErrBadURL", u, err)
			_, err = s.Listen(u)
			require.ErrorIs(t, err, sp.ErrBadURL, "Listen(%q): got %v, want ErrBadURL", u, err)
		})
	}
	// Dialing needs a host and a port; listening does not.
	for _, u := range []string{"tcp://:5555", "tcp://*:5555", "tcp://127.0.0.1:0"} {
		s := sptest.New(t, push.NewSocket)
		err := s.Dial(u)
		require.ErrorIs(t, err, sp.ErrBadURL, "Dial(%q): got %v, want ErrBadURL", u, err)
	}
	var op *sp.OpError
	s := sptest.New(t, push.NewSocket)
	err := s.Dial("tcp://127.0.0.1:99999")
	require.ErrorAs(t, err, &op)
	require.Equal(t, "dial", op.Op)
	require.Equal(t, "tcp://127.0.0.1:99999", op.URL)
}

func TestListenTwiceAddrInUse(t *testing.T) {
	sptest.Transports(t, func(t *testing.T, tr sptest.Transport) {
		a, b := sptest.New(t, pull.NewSocket), sptest.New(t, pull.NewSocket)
		addr := sptest.Listen(t, a, tr.Addr(t))
		_, err := b.Listen(addr)
		require.ErrorIs(t, err, sp.ErrAddrInUse, "second Listen(%s): got %v, want ErrAddrInUse", addr, err)
		_, err = a.Listen(addr)
		require.ErrorIs(t, err, sp.ErrAddrInUse, "same socket, Listen(%s) again: got %v", addr, err)
		// The first listener still works.
		src := sptest.New(t, push.NewSocket)
		sptest.Dial(t, src, addr)
		ctx := sptest.Ctx(t)
		require.NoError(t, src.Send(ctx, []byte("ok")))
		got, err := a.Recv(ctx)
		require.NoError(t, err)
		require.Equal(t, "ok", string(got))
	})
}

func TestIPCStaleSocketFileRemoved(t *testing.T) {
	path := sptest.IPCPath(t)
	nl, err := net.Listen("unix", path)
	require.NoError(t, err)
	nl.(*net.UnixListener).SetUnlinkOnClose(false)
	require.NoError(t, nl.Close())
	_, err = os.Stat(path)
	require.NoError(t, err, "the stale socket file must exist before the test")

	sink := sptest.New(t, pull.NewSocket)
	sptest.Listen(t, sink, "ipc://"+path)
	src := sptest.New(t, push.NewSocket)
	sptest.Dial(t, src, "ipc://"+path)
	ctx := sptest.Ctx(t)
	require.NoError(t, src.Send(ctx, []byte("over the stale path")))
	got, err := sink.Recv(ctx)
	require.NoError(t, err)
	require.Equal(t, "over the stale path", string(got))
}

func TestIPCLiveSocketFileKept(t *testing.T) {
	path := sptest.IPCPath(t)
	nl, err := net.Listen("unix", path)
	require.NoError(t, err)
	defer nl.Close()
	accepted := make(chan error, 1)
	go func() {
		for {
			c, err := nl.Accept()
			if err != nil {
				accepted <- err
				return
			}
			c.Close()
		}
	}()

	s := sptest.New(t, pull.NewSocket)
	_, err = s.Listen("ipc://" + path)
	require.ErrorIs(t, err, sp.ErrAddrInUse, "Listen over a live socket: got %v, want ErrAddrInUse", err)
	c, err := net.Dial("unix", path)
	require.NoError(t, err, "the live listener's socket file was removed or taken over")
	c.Close()
	nl.Close()
	<-accepted

	// A regular file is never removed either.
	file := filepath.Join(filepath.Dir(path), "f")
	require.NoError(t, os.WriteFile(file, []byte("data"), 0o600))
	_, err = s.Listen("ipc://" + file)
	require.ErrorIs(t, err, sp.ErrAddrInUse, "Listen over a regular file: got %v, want ErrAddrInUse", err)
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	require.Equal(t, "data", string(data))
}

func TestIPCListenerCloseRemovesFile(t *testing.T) {
	path := sptest.IPCPath(t)
	s := sptest.New(t, pull.NewSocket)
	l, err := s.NewListener("ipc://" + path)
	require.NoError(t, err)
	require.NoError(t, l.Listen())
	_, err = os.Stat(path)
	require.NoError(t, err)
	require.NoError(t, l.Close())
	_, err = os.Stat(path)
	require.ErrorIs(t, err, os.ErrNotExist, "socket file after the listener's Close: got %v", err)
}

func TestAbstractSocket(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("abstract:// is Linux only")
	}
	addr := "abstract://" + strings.TrimPrefix(sptest.InprocAddr(), "inproc://")
	sink, src := sptest.New(t, pull.NewSocket), sptest.New(t, push.NewSocket)
	sptest.Connect(t, src, sink, addr)
	ctx := sptest.Ctx(t)
	require.NoError(t, src.Send(ctx, []byte("no file at all")))
	got, err := sink.Recv(ctx)
	require.NoError(t, err)
	require.Equal(t, "no file at all", string(got))
	_, err = sptest.New(t, pull.NewSocket).Listen(addr)
	require.ErrorIs(t, err, sp.ErrAddrInUse, "second abstract Listen: got %v", err)
}

func TestTCPPortZero(t *testing.T) {
	for _, host := range []string{"127.0.0.1", "[::1]"} {
		t.Run(host, func(t *testing.T) {
			if host == "[::1]" {
				l, err := net.Listen("tcp", "[::1]:0")
				if err != nil {
					t.Skipf("no IPv6 loopback: %v", err)
				}
				l.Close()
			}
			sink := sptest.New(t, pull.NewSocket)
			l, err := sink.NewListener("tcp://" + host + ":0")
			require.NoError(t, err)
			require.NoError(t, l.Listen())
			ta, ok := l.Addr().(*net.TCPAddr)
			require.True(t, ok, "Addr: got %T, want *net.TCPAddr", l.Addr())
			require.NotZero(t, ta.Port, "port 0 must be replaced by the bound port")
			url := "tcp://" + net.JoinHostPort(strings.Trim(host, "[]"), strconv.Itoa(ta.Port))
			src := sptest.New(t, push.NewSocket)
			sptest.Dial(t, src, url)
			ctx := sptest.Ctx(t)
			require.NoError(t, src.Send(ctx, []byte(url)))
			got, err := sink.Recv(ctx)
			require.NoError(t, err)
			require.Equal(t, url, string(got))
		})
	}
}

func TestDialSyncToNothingFailsFast(t *testing.T) {
	sptest.Transports(t, func(t *testing.T, tr sptest.Transport) {
		s := sptest.New(t, push.NewSocket)
		start := time.Now()
		err := s.Dial(tr.Addr(t), sp.WithDialSync())
		require.ErrorIs(t, err, sp.ErrConnRefused, "DialSync to nothing: got %v, want ErrConnRefused", err)
		require.Less(t, time.Since(start), 2*time.Second, "DialSync to nothing took too long")
		var op *sp.OpError
		require.ErrorAs(t, err, &op)
		require.Equal(t, "dial", op.Op)
	})
}

// A dial made before the listen, that has already failed and retried,
// connects once the listener appears. Waiting on the socket's log makes sure
// the dial really came first.
func TestBindAfterConnect(t *testing.T) {
	sptest.Transports(t, func(t *testing.T, tr sptest.Transport) {
		addr := tr.Addr(t)
		src, sink := sptest.New(t, push.NewSocket), sptest.New(t, pull.NewSocket)
		log := sptest.NewLog()
		require.NoError(t, sp.SetOption(src, sp.Logger, slog.New(log)))
		require.NoError(t, src.Dial(addr, sp.With(sp.ReconnectMin, 2*time.Millisecond),
			sp.With(sp.ReconnectMax, 10*time.Millisecond)))
		log.Wait(t, "dial failed", 3)
		sptest.Listen(t, sink, addr)
		ctx := sptest.Ctx(t)
		require.NoError(t, src.Send(ctx, []byte("finally")))
		got, err := sink.Recv(ctx)
		require.NoError(t, err)
		require.Equal(t, "finally", string(got))
	})
}
