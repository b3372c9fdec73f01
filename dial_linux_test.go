package sp_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/spgo/sp"
	"github.com/spgo/sp/protocol/push"
	"github.com/stretchr/testify/require"
)

// fullBacklog returns a loopback address whose listen backlog is full: it
// listens with a backlog of 0, never accepts, and one connection fills
// the queue, so that Linux drops the SYNs of further connects, which hang
// until their deadline.
func fullBacklog(t *testing.T) string {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	require.NoError(t, err)
	t.Cleanup(func() { syscall.Close(fd) })
	require.NoError(t, syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}))
	require.NoError(t, syscall.Listen(fd, 0))
	sa, err := syscall.Getsockname(fd)
	require.NoError(t, err)
	addr := fmt.Sprintf("127.0.0.1:%d", sa.(*syscall.SockaddrInet4).Port)
	filler, err := net.DialTimeout("tcp", addr, 5*time.Second)
	require.NoError(t, err, "filling the backlog")
	t.Cleanup(func() { filler.Close() })
	// Check that a connect now hangs.
	c, err := net.DialTimeout("tcp", addr, 50*time.Millisecond)
	if err == nil {
		c.Close()
		t.Skip("a connect to a full backlog does not hang here")
	}
	return addr
}

// TestDialConnectTimeout checks that a connect that does not complete (a
// full listen backlog: no SYN-ACK) reads as ErrTimeout, bounded by ctx with
// DialContext and by HandshakeTimeout with DialSync, over each transport
// that connects over tcp.
func TestDialConnectTimeout(t *testing.T) {
	addr := fullBacklog(t)
	for _, tr := range nameTransports(t) {
		t.Run(tr.scheme, func(t *testing.T) {
			tests := []struct {
				name string
				dial func(s sp.Socket) error
			}{
				{"ctx deadline", func(s sp.Socket) error {
					ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
					defer cancel()
					return s.DialContext(ctx, tr.url(addr), tr.dial...)
				}},
				{"HandshakeTimeout with DialSync", func(s sp.Socket) error {
					return s.Dial(tr.url(addr), append(tr.dial, sp.WithDialSync(), sp.With(sp.HandshakeTimeout, 300*time.Millisecond))...)
				}},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					s := mustSocket(t, push.NewSocket)
					start := time.Now()
					err := tt.dial(s)
					took := time.Since(start)
					requireDialErr(t, err, sp.ErrTimeout)
					var te interface{ Timeout() bool }
					require.True(t, errors.As(err, &te) && te.Timeout(), "got Timeout() false for %v, want true", err)
					require.Less(t, took, 5*time.Second, "took %v, want about 300ms", took)
				})
			}
		})
	}
}
