//go:build unix

package sp_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/spgo/sp"
	"github.com/spgo/sp/protocol/rep"
	"github.com/spgo/sp/protocol/req"
)

// TestActivationEnv checks ActivationListeners against values of the
// activation variables that it must refuse, or ignore, before it touches
// a descriptor (this process's descriptor 3 is not a listener for it to
// take: the cases that take descriptors run in a child, below).
func TestActivationEnv(t *testing.T) {
	me := strconv.Itoa(os.Getpid())
	tests := []struct {
		name string
		env  map[string]string // unset when missing
		want error             // nil: no listeners, no error
	}{
		{"unset", nil, nil},
		{"no LISTEN_PID", map[string]string{"LISTEN_FDS": "1"}, nil},
		{"no LISTEN_FDS", map[string]string{"LISTEN_PID": me}, nil},
		{"another process", map[string]string{"LISTEN_PID": "1", "LISTEN_FDS": "1"}, nil},
		{"zero descriptors", map[string]string{"LISTEN_PID": me, "LISTEN_FDS": "0"}, nil},
		{"pid not a number", map[string]string{"LISTEN_PID": "me", "LISTEN_FDS": "1"}, sp.ErrActivation},
		{"pid zero", map[string]string{"LISTEN_PID": "0", "LISTEN_FDS": "1"}, sp.ErrActivation},
		{"pid negative", map[string]string{"LISTEN_PID": "-5", "LISTEN_FDS": "1"}, sp.ErrActivation},
		{"count not a number", map[string]string{"LISTEN_PID": me, "LISTEN_FDS": "one"}, sp.ErrActivation},
		{"count negative", map[string]string{"LISTEN_PID": me, "LISTEN_FDS": "-1"}, sp.ErrActivation},
		{"count empty", map[string]string{"LISTEN_PID": me, "LISTEN_FDS": ""}, sp.ErrActivation},
		{"count huge", map[string]string{"LISTEN_PID": me, "LISTEN_FDS": "100000000"}, sp.ErrActivation},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, k := range []string{"LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"} {
				t.Setenv(k, "") // restored after the test
				os.Unsetenv(k)
				if v, ok := tt.env[k]; ok {
					os.Setenv(k, v)
				}
			}
			ls, err := sp.ActivationListeners()
			if tt.want == nil {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, tt.want, "got %v, want %v", err, tt.want)
			}
			require.Empty(t, ls, "got %d listeners, want none", len(ls))
			for _, k := range []string{"LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"} {
				_, set := os.LookupEnv(k)
				require.False(t, set, "%s still set after the call, want it unset", k)
			}
		})
	}
}

// activationChildEnv names the mode of a child process started by
// startActivated; TestActivationChild runs only when it is set.
const activationChildEnv = "SP_TEST_ACTIVATION_CHILD"

// startActivated starts this test binary, running TestActivationChild in
// mode, with files as descriptors 3, 4, ... the way systemd passes them:
// LISTEN_FDS says how many, and LISTEN_PID is the child's own pid. The
// child's pid is not known before it starts, so a shell sets LISTEN_PID to
// its own ($$) and then execs the test binary, which keeps that pid (as
// systemd-socket-activate does, setting it between fork and exec).
func startActivated(t *testing.T, mode string, names string, files ...*os.File) (*exec.Cmd, *strings.Builder) {
	t.Helper()
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skipf("no sh to start an activated child with: %v", err)
	}
	cmd := exec.Command(sh, "-c", `LISTEN_PID=$$; export LISTEN_PID; exec "$0" "$@"`,
		os.Args[0], "-test.run=^TestActivationChild$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), activationChildEnv+"="+mode, "LISTEN_FDS="+strconv.Itoa(len(files)))
	if names != "" {
		cmd.Env = append(cmd.Env, "LISTEN_FDNAMES="+names)
	}
	cmd.ExtraFiles = files
	out := &strings.Builder{}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.WaitDelay = 5 * time.Second
	require.NoError(t, cmd.Start())
	for _, f := range files {
		f.Close() // the child has them
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	return cmd, out
}

// waitChild waits for the child, for at most a minute, and returns its
// output; it fails the test when the child failed.
func waitChild(t *testing.T, cmd *exec.Cmd, out *strings.Builder) string {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		require.NoError(t, err, "child: %s", out)
	case <-time.After(time.Minute):
		cmd.Process.Kill()
		<-done
		t.Fatalf("child still running after a minute: %s", out)
	}
	return out.String()
}

// listenerFile returns a listening socket of network as a file to pass
// to a child, and the address to dial it at.
func listenerFile(t *testing.T, network string) (*os.File, string) {
	t.Helper()
	var l net.Listener
	var err error
	var url string
	switch network {
	case "tcp":
		l, err = net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		url = "tcp://" + l.Addr().String()
	case "unix":
		path := unixPath(t)
		l, err = net.Listen("unix", path)
		require.NoError(t, err)
		l.(*net.UnixListener).SetUnlinkOnClose(false) // the child serves on it
		url = "ipc://" + path
	}
	f, err := l.(interface{ File() (*os.File, error) }).File()
	require.NoError(t, err)
	l.Close() // f holds the socket
	return f, url
}

// TestActivation starts a child the way systemd starts a socket-activated
// service, with a listening socket as descriptor 3, and sends it requests,
// which it serves with rep on the listener ActivationListeners gives it.
func TestActivation(t *testing.T) {
	for _, network := range []string{"tcp", "unix"} {
		t.Run(network, func(t *testing.T) {
			f, url := listenerFile(t, network)
			cmd, out := startActivated(t, "serve", "spsvc", f)
			cli := mustSocket(t, req.NewSocket)
			require.NoError(t, cli.Dial(url, sp.WithDialSync()))
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			for i := range 3 {
				q := fmt.Sprintf("q%d", i)
				got, err := req.Request(ctx, cli, []byte(q))
				require.NoError(t, err, "child: %s", out)
				want := fmt.Sprintf("%d:spsvc:%s", cmd.Process.Pid, q)
				require.Equal(t, want, string(got), "got %q, want %q", got, want)
			}
			waitChild(t, cmd, out)
		})
	}
}

// TestActivationRefuses starts children passed descriptors that
// ActivationListeners must refuse, and checks that it says why and closes
// them.
func TestActivationRefuses(t *testing.T) {
	tests := []struct {
		name  string
		names string
		files func(t *testing.T) []*os.File
		want  string
	}{
		{"names mismatch", "a:b", func(t *testing.T) []*os.File {
			f, _ := listenerFile(t, "tcp")
			return []*os.File{f}
		}, "LISTEN_FDNAMES has 2 names for LISTEN_FDS=1"},
		{"not a socket", "", func(t *testing.T) []*os.File {
			r, w, err := os.Pipe()
			require.NoError(t, err)
			t.Cleanup(func() { r.Close() })
			return []*os.File{w}
		}, "descriptor 3 (unknown) is not a socket"},
		{"not listening", "", func(t *testing.T) []*os.File {
			a, b := socketPair(t)
			t.Cleanup(func() { a.Close() })
			f, err := b.(*net.UnixConn).File()
			require.NoError(t, err)
			b.Close()
			return []*os.File{f}
		}, "descriptor 3 (unknown) is not listening"},
		{"second bad", "", func(t *testing.T) []*os.File {
			f, _ := listenerFile(t, "tcp")
			r, w, err := os.Pipe()
			require.NoError(t, err)
			t.Cleanup(func() { r.Close() })
			return []*os.File{f, w}
		}, "descriptor 4 (unknown) is not a socket"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := tt.files(t)
			cmd, out := startActivated(t, "refuse", tt.names, files...)
			got := waitChild(t, cmd, out)
			require.Contains(t, got, "refused: sp: bad socket activation: "+tt.want)
			require.Contains(t, got, fmt.Sprintf("closed %d descriptors", len(files)))
		})
	}
}

// TestActivationChild is the child of TestActivation and
// TestActivationRefuses; it does nothing unless started by them.
func TestActivationChild(t *testing.T) {
	mode := os.Getenv(activationChildEnv)
	if mode == "" {
		t.Skip("runs only as the child of TestActivation")
	}
	n, err := strconv.Atoi(os.Getenv("LISTEN_FDS"))
	require.NoError(t, err)
	switch mode {
	case "serve":
		m, err := sp.NamedActivationListeners()
		require.NoError(t, err)
		require.Len(t, m["spsvc"], 1, "got %v, want one listener named spsvc", m)
		serveActivated(t, m["spsvc"][0])
	case "refuse":
		ls, err := sp.ActivationListeners()
		require.ErrorIs(t, err, sp.ErrActivation)
		require.Empty(t, ls)
		fmt.Printf("refused: %v\n", err)
		closed := 0
		for fd := 3; fd < 3+n; fd++ {
			var st syscall.Stat_t
			if err := syscall.Fstat(fd, &st); errors.Is(err, syscall.EBADF) {
				closed++
			}
		}
		fmt.Printf("closed %d descriptors\n", closed)
	default:
		t.Fatalf("unknown mode %q", mode)
	}
	for _, k := range []string{"LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"} {
		_, set := os.LookupEnv(k)
		require.False(t, set, "%s still set after the call, want it unset", k)
	}
}

// serveActivated answers three requests on l with "pid:name:request", then
// shuts the socket down.
func serveActivated(t *testing.T, l net.Listener) {
	s, err := rep.NewSocket()
	require.NoError(t, err)
	defer s.Close()
	_, err = s.ListenOn(l)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for range 3 {
		q, err := s.Recv(ctx)
		require.NoError(t, err)
		require.NoError(t, s.Send(ctx, []byte(fmt.Sprintf("%d:spsvc:%s", os.Getpid(), q))))
	}
	require.NoError(t, s.Shutdown(ctx))
}
