package ipc_test

import (
	"errors"
	"fmt"
	"net"
	"os"
	"runtime"
	"strings"
	"testing"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/sptest"
	"github.com/spgo/sp/protocol/pair"
	"github.com/spgo/sp/transport/ipc"
)

// connect returns a pair listening on addr (with lopts) and a pair dialed
// to it, both closed at the end of the test.
func connect(t *testing.T, addr string, lopts ...sp.EndpointOption) (d, l sp.Socket) {
	t.Helper()
	d, l = sptest.New(t, pair.NewSocket), sptest.New(t, pair.NewSocket)
	sptest.Listen(t, l, addr, lopts...)
	sptest.Dial(t, d, addr)
	return d, l
}

func TestPermissions(t *testing.T) {
	for _, perm := range []os.FileMode{0o600, 0o660, 0o777, 0o700} {
		t.Run(perm.String(), func(t *testing.T) {
			path := sptest.IPCPath(t)
			d, l := connect(t, "ipc://"+path, sp.With(ipc.Permissions, perm))
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if got := fi.Mode().Perm(); got != perm {
				t.Errorf("socket file mode: got %v, want %v", got, perm)
			}
			if fi.Mode()&os.ModeSocket == 0 {
				t.Errorf("socket file mode: got %v, want a socket", fi.Mode())
			}
			ctx := sptest.Ctx(t)
			if err := d.Send(ctx, []byte("hi")); err != nil {
				t.Fatal(err)
			}
			if b, err := l.Recv(ctx); err != nil || string(b) != "hi" {
				t.Fatalf("Recv: got %q, %v; want %q", b, err, "hi")
			}
		})
	}
}

func TestPermissionsDefault(t *testing.T) {
	s := sptest.New(t, pair.NewSocket)
	if got, err := sp.GetOption(s, ipc.Permissions); err != nil || got != 0 {
		t.Fatalf("default Permissions: got %v, %v; want 0, nil", got, err)
	}
	// Unset, the file keeps what bind gave it: 0777 less the umask, which
	// a chmod to 0 would have removed.
	path := sptest.IPCPath(t)
	sptest.Listen(t, s, "ipc://"+path)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() == 0 {
		t.Errorf("socket file mode with Permissions unset: got %v, want bind's", fi.Mode())
	}
}

func TestPermissionsSocketWide(t *testing.T) {
	s := sptest.New(t, pair.NewSocket)
	if err := sp.SetOption(s, ipc.Permissions, 0o640); err != nil {
		t.Fatal(err)
	}
	path := sptest.IPCPath(t)
	sptest.Listen(t, s, "ipc://"+path)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != 0o640 {
		t.Errorf("socket file mode from the socket's option: got %v, want %v", got, os.FileMode(0o640))
	}
}

func TestPermissionsBad(t *testing.T) {
	s := sptest.New(t, pair.NewSocket)
	for _, m := range []os.FileMode{0o1777, os.ModeDir | 0o755, os.ModeSetuid} {
		if err := sp.SetOption(s, ipc.Permissions, m); !errors.Is(err, sp.ErrBadOption) {
			t.Errorf("SetOption(Permissions, %v): got %v, want sp.ErrBadOption", m, err)
		}
	}
	if runtime.GOOS != "linux" {
		return
	}
	_, err := s.Listen(fmt.Sprintf("abstract://sp-ipc-test-perm-%d", os.Getpid()), sp.With(ipc.Permissions, 0o600))
	if !errors.Is(err, sp.ErrNotSupported) {
		t.Errorf("Listen(abstract://) with Permissions: got %v, want sp.ErrNotSupported", err)
	}
}

func TestPeerCredentials(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("SO_PEERCRED is Linux's")
	}
	addrs := []string{"ipc://" + sptest.IPCPath(t), "unix://" + sptest.IPCPath(t),
		fmt.Sprintf("abstract://sp-ipc-test-cred-%d", os.Getpid())}
	for _, addr := range addrs {
		scheme, _, _ := strings.Cut(addr, ":")
		t.Run(scheme, func(t *testing.T) {
			d, l := connect(t, addr)
			ctx := sptest.Ctx(t)
			for _, s := range []struct {
				name     string
				from, to sp.Socket
			}{{"accepted", d, l}, {"dialed", l, d}} {
				if err := s.from.Send(ctx, []byte("who")); err != nil {
					t.Fatal(err)
				}
				m, err := s.to.RecvMsg(ctx)
				if err != nil {
					t.Fatal(err)
				}
				for _, c := range []struct {
					opt  sp.Option[int]
					want int
				}{{ipc.PeerPID, os.Getpid()}, {ipc.PeerUID, os.Geteuid()}, {ipc.PeerGID, os.Getegid()}} {
					got, err := sp.GetOption(m.Pipe(), c.opt)
					if err != nil || got != c.want {
						t.Errorf("%s pipe: %s = %d, %v; want %d, nil", s.name, c.opt.Name(), got, err, c.want)
					}
				}
				if _, err := m.Pipe().OptionValue("ipc:no-such"); !errors.Is(err, sp.ErrBadOption) {
					t.Errorf("%s pipe: unknown property: got %v, want sp.ErrBadOption", s.name, err)
				}
				m.Free()
			}
		})
	}
}

// TestStaleSocket checks that a listener replaces a socket file nobody
// answers on, and refuses to touch a file that is not a socket.
func TestStaleSocket(t *testing.T) {
	path := sptest.IPCPath(t)
	nl, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	nl.(*net.UnixListener).SetUnlinkOnClose(false)
	nl.Close()
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("the stale socket file should remain: %v", err)
	}
	d, l := connect(t, "ipc://"+path)
	ctx := sptest.Ctx(t)
	if err := d.Send(ctx, []byte("x")); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Recv(ctx); err != nil {
		t.Fatal(err)
	}

	file := sptest.IPCPath(t)
	if err := os.WriteFile(file, []byte("data"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := sptest.New(t, pair.NewSocket)
	if _, err := s.Listen("ipc://" + file); !errors.Is(err, sp.ErrAddrInUse) {
		t.Errorf("Listen on a regular file: got %v, want sp.ErrAddrInUse", err)
	}
	if b, err := os.ReadFile(file); err != nil || string(b) != "data" {
		t.Errorf("the regular file was changed: %q, %v", b, err)
	}
}

// TestCloseRemovesFile checks that closing a listener removes its socket
// file.
func TestCloseRemovesFile(t *testing.T) {
	path := sptest.IPCPath(t)
	s := sptest.New(t, pair.NewSocket)
	l, err := s.NewListener("ipc://" + path)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Listen(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("socket file after Listen: %v", err)
	}
	l.Close()
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("socket file after Close: got %v, want it removed", err)
	}
}
