//go:build unix

package interop_test

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/spgo/sp"
	"github.com/spgo/sp/protocol/rep"
	"github.com/spgo/sp/protocol/req"
)

// nngSockfd builds testdata/nngsockfd.c against nng 1.12 ($NNG112, with
// $NNG_LIBS), whose socket:// transport takes a descriptor; it skips when
// NNG112 is unset, unless SP_INTEROP=require.
func nngSockfd(t *testing.T) string {
	t.Helper()
	missing := func(why string) {
		if os.Getenv("SP_INTEROP") == "require" {
			t.Fatalf("nngsockfd: %s (SP_INTEROP=require)", why)
		}
		t.Skipf("nngsockfd: %s; build nng 1.12 with the team's peers/build.sh and source its env.sh (sets NNG112), or set SP_INTEROP=require to fail instead", why)
	}
	dir := os.Getenv("NNG112")
	if dir == "" {
		missing("NNG112 is unset")
	}
	cc, err := exec.LookPath("cc")
	if err != nil {
		missing("no C compiler")
	}
	libs := strings.Fields(os.Getenv("NNG_LIBS"))
	if len(libs) == 0 {
		libs = []string{"-lpthread"}
	}
	bin := filepath.Join(t.TempDir(), "nngsockfd")
	args := append([]string{"-O2", "-o", bin, filepath.Join("testdata", "nngsockfd.c"),
		"-I" + filepath.Join(dir, "include"), filepath.Join(dir, "lib", "libnng.a")}, libs...)
	if out, err := exec.Command(cc, args...).CombinedOutput(); err != nil {
		missing(fmt.Sprintf("cannot build it against %s: %v\n%s", dir, err, out))
	}
	return bin
}

// fdPair returns two connected ends of a stream: ours as a net.Conn, theirs
// as a file to hand a child process.
type fdPair func(t *testing.T) (net.Conn, *os.File)

// socketPairFD makes a Unix socketpair, as nng_socket_pair does.
func socketPairFD(t *testing.T) (net.Conn, *os.File) {
	t.Helper()
	syscall.ForkLock.RLock()
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	if err == nil {
		syscall.CloseOnExec(fds[0])
		syscall.CloseOnExec(fds[1])
	}
	syscall.ForkLock.RUnlock()
	require.NoError(t, err)
	f := os.NewFile(uintptr(fds[0]), "socketpair")
	defer f.Close()
	c, err := net.FileConn(f)
	require.NoError(t, err)
	return c, os.NewFile(uintptr(fds[1]), "socketpair")
}

// tcpPairFD makes a loopback TCP connection: socket:// speaks the tcp
// mapping over it as over anything.
func tcpPairFD(t *testing.T) (net.Conn, *os.File) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	ours, err := net.Dial("tcp", l.Addr().String())
	require.NoError(t, err)
	theirs, err := l.Accept()
	require.NoError(t, err)
	defer theirs.Close()
	f, err := theirs.(*net.TCPConn).File()
	require.NoError(t, err)
	return ours, f
}

// sockfdProc is a running nngsockfd.
type sockfdProc struct {
	done           chan struct{} // closed once it has exited
	err            error         // its exit, once done is closed
	stdout, stderr bytes.Buffer  // read them once done is closed
}

// startSockfd starts nngsockfd in role with f as its descriptor 3, serving
// or sending n requests. The cleanup kills it if still running.
func startSockfd(t *testing.T, bin, role string, n int, f *os.File) *sockfdProc {
	t.Helper()
	cmd := exec.Command(bin, role, "3", fmt.Sprint(n))
	cmd.ExtraFiles = []*os.File{f}
	p := &sockfdProc{done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = &p.stdout, &p.stderr
	cmd.WaitDelay = 2 * time.Second
	require.NoError(t, cmd.Start())
	f.Close() // the child has it
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-p.done
		if t.Failed() {
			t.Logf("nngsockfd %s: %v, stdout %q, stderr %q", role, p.err, p.stdout.String(), p.stderr.String())
		}
	})
	return p
}

// TestSockFD connects sp, through AddConn, to nng 1.12's socket://
// transport over one descriptor each of a socketpair (and of a TCP
// connection), with sp as requester and as replier.
func TestSockFD(t *testing.T) {
	bin := nngSockfd(t)
	pairs := []struct {
		name string
		make fdPair
	}{{"socketpair", socketPairFD}, {"tcp", tcpPairFD}}
	for _, pr := range pairs {
		t.Run(pr.name+"/sp-req", func(t *testing.T) {
			t.Parallel()
			ours, theirs := pr.make(t)
			startSockfd(t, bin, "rep", len(payloads)+1, theirs)
			s := newSocket(t, req.NewSocket)
			p, err := s.AddConn(ours)
			require.NoError(t, err)
			require.Equal(t, uint16(0x31), p.PeerProtocol(), "peer: got 0x%x, want rep0 (0x31)", p.PeerProtocol())
			qs := [][]byte{[]byte("hello")}
			for _, pl := range payloads {
				qs = append(qs, pl.b)
			}
			for _, q := range qs {
				got, err := req.Request(ctx(t), s, q)
				require.NoError(t, err)
				requireBytes(t, append([]byte("echo:"), q...), got, "reply")
			}
			st := s.Stats()
			require.Len(t, st.Endpoints, 1)
			require.Equal(t, sp.AdoptedURL, st.Endpoints[0].URL, "endpoint: got %s, want %s", st.Endpoints[0].URL, sp.AdoptedURL)
		})
		t.Run(pr.name+"/sp-rep", func(t *testing.T) {
			t.Parallel()
			const n = 3
			ours, theirs := pr.make(t)
			c := startSockfd(t, bin, "req", n, theirs)
			s := newSocket(t, rep.NewSocket)
			p, err := s.AddConn(ours)
			require.NoError(t, err)
			require.Equal(t, uint16(0x30), p.PeerProtocol(), "peer: got 0x%x, want req0 (0x30)", p.PeerProtocol())
			for range n {
				q, err := s.Recv(ctx(t))
				require.NoError(t, err)
				require.NoError(t, s.Send(ctx(t), append([]byte("echo:"), q...)))
			}
			select {
			case <-c.done:
				require.NoError(t, c.err, "nngsockfd req: stderr %q", c.stderr.String())
			case <-time.After(timeout):
				t.Fatalf("nngsockfd req still running %v after its last reply", timeout)
			}
			var want strings.Builder
			for i := range n {
				fmt.Fprintf(&want, "echo:req-%d\n", i)
			}
			got := c.stdout.String()
			require.Equal(t, want.String(), got, "nngsockfd's replies: got %q, want %q", got, want.String())
		})
	}
}
