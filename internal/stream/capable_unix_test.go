//go:build unix

package stream

import (
	"net"
	"os"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/spgo/sp"
)

// A Conn carries the capabilities that need a descriptor only when it has
// one; without, sp.HalfCloser only if the connection can shut its writing
// side.
func TestCapable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	tc, err := net.Dial("tcp", l.Addr().String())
	require.NoError(t, err)
	defer tc.Close()
	pa, pb := net.Pipe()
	defer pa.Close()
	defer pb.Close()
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	require.NoError(t, err)
	f := os.NewFile(uintptr(fds[0]), "socketpair")
	defer f.Close()
	defer syscall.Close(fds[1])
	uc, err := net.FileConn(f)
	require.NoError(t, err)
	defer uc.Close()
	// A connection that hides its descriptor and cannot half-close.
	type opaque struct{ net.Conn }
	cases := []struct {
		name       string
		conn       net.Conn
		fd, halfCl bool
	}{
		{"tcp", tc, true, true},
		{"socketpair", uc, true, true},
		{"net.Pipe", pa, false, false},
		{"opaque tcp", opaque{tc}, false, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			conn := NewAdopted(c.conn, 0x30, false).Capable()
			for name, got := range map[string]bool{
				"DirectSender":  has[sp.DirectSender](conn),
				"ResumableConn": has[sp.ResumableConn](conn),
				"syscall.Conn":  has[syscall.Conn](conn),
			} {
				require.Equal(t, c.fd, got, "%s: got %v, want %v", name, got, c.fd)
			}
			require.Equal(t, c.halfCl, has[sp.HalfCloser](conn), "HalfCloser")
			require.True(t, has[sp.SentCounter](conn), "SentCounter")
			require.True(t, has[sp.BufferedConn](conn), "BufferedConn")
		})
	}
}

func has[T any](c sp.TransportConn) bool {
	_, ok := sp.ConnAs[T](c)
	return ok
}
