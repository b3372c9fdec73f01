//go:build unix

package sp_test

import (
	"net"
	"os"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

// socketPair returns the two ends of a Unix socketpair as net.Conns, as a
// service handed a descriptor would make them (os.NewFile, net.FileConn).
func socketPair(t *testing.T) (net.Conn, net.Conn) {
	t.Helper()
	syscall.ForkLock.RLock() // no child may inherit them before CloseOnExec
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	if err == nil {
		syscall.CloseOnExec(fds[0])
		syscall.CloseOnExec(fds[1])
	}
	syscall.ForkLock.RUnlock()
	require.NoError(t, err)
	conn := func(fd int) net.Conn {
		f := os.NewFile(uintptr(fd), "socketpair")
		defer f.Close()
		c, err := net.FileConn(f)
		require.NoError(t, err)
		return c
	}
	return conn(fds[0]), conn(fds[1])
}

func init() { connPairs["socketpair"] = socketPair }
