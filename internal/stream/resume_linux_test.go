//go:build linux

package stream

import (
	"fmt"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/wire"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// ioctlInt returns the result of the ioctl req on c's descriptor.
func ioctlInt(t *testing.T, c net.Conn, req uint) int {
	t.Helper()
	sc, err := c.(syscall.Conn).SyscallConn()
	require.NoError(t, err)
	var n int
	var ierr error
	require.NoError(t, sc.Control(func(fd uintptr) { n, ierr = unix.IoctlGetInt(int(fd), req) }))
	require.NoError(t, ierr)
	return n
}

// waitTaken waits until the reader of r has taken from the kernel every
// byte written to w: none waits in r's receive queue, nor (over tcp) in w's
// send queue unacknowledged.
func waitTaken(t *testing.T, w, r net.Conn) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		out, in := ioctlInt(t, w, unix.SIOCOUTQ), ioctlInt(t, r, unix.SIOCINQ)
		if out+in == 0 {
			return
		}
		require.Truef(t, time.Now().Before(deadline), "got %d bytes unsent and %d unread after 10 s, want none", out, in)
		time.Sleep(time.Millisecond)
	}
}

// TestDeadlineInterruptsBlockedRecv sets a read deadline in the past from
// another goroutine while Recv waits for the rest of a frame, twice: Recv
// returns the timeout holding what it has read, and once the rest comes and
// the deadline is cleared, a Recv returns the frame and then the next one.
func TestDeadlineInterruptsBlockedRecv(t *testing.T) {
	payload := pattern(1000)
	for _, network := range []string{"tcp", "unix"} {
		for _, ipc := range []bool{false, true} {
			size := wire.FrameHeaderSize(ipc)
			cuts := []int{0, 1, size - 1, size, size + 1, size + smallReadSize, size + len(payload) - 1}
			for _, cut := range cuts {
				ok := t.Run(fmt.Sprintf("%s/ipc=%v/cut=%d", network, ipc, cut), func(t *testing.T) {
					w, r := socketPair(t, network)
					c := New(r, 0, ipc)
					f := frame(ipc, payload)
					_, err := w.Write(f[:cut]) // a few bytes: the socket takes them at once
					require.NoError(t, err)
					for round := range 2 {
						interruptBlocked(t, c, w, r, fmt.Sprintf("round %d, cut at %d of %d", round, cut, len(f)))
						require.Equalf(t, cut, held(c), "round %d: got %d bytes held, want %d", round, held(c), cut)
						require.NoError(t, c.SetReadDeadline(time.Time{}))
					}
					wait := goWrite(t, w, f[cut:])
					recvFrame(t, c, payload, "the frame cut short")
					require.NoError(t, wait())
					wait = goWrite(t, w, frame(ipc, nextPayload))
					recvFrame(t, c, nextPayload, "the frame after")
					require.NoError(t, wait())
				})
				if !ok {
					break // the next cuts would fail alike, some only after the watchdog
				}
			}
		}
	}
}

// interruptBlocked starts a Recv on c, waits until it has read what was
// written to w and is waiting for more, sets a read deadline in the past and
// checks that the Recv returns a timeout.
func interruptBlocked(t *testing.T, c *Conn, w, r net.Conn, what string) {
	t.Helper()
	type result struct {
		m   *sp.Message
		err error
	}
	done := make(chan result, 1)
	go func() {
		m, err := c.Recv(0)
		done <- result{m, err}
	}()
	// Once the kernel holds no byte, Recv has read them all and is
	// waiting, or about to. The sleep only gives a Recv that has nothing
	// to read (a cut at 0, a second round) the time to wait: were the
	// deadline set first, Recv would time out at once, holding the same.
	waitTaken(t, w, r)
	time.Sleep(10 * time.Millisecond)
	require.NoError(t, c.SetReadDeadline(time.Unix(1, 0)))
	select {
	case res := <-done:
		requireTimeout(t, res.m, res.err, what)
	case <-time.After(10 * time.Second):
		r.Close() // ends the Recv, and with it the goroutine
		<-done
		t.Fatalf("%s: a blocked Recv did not return when its deadline was set in the past", what)
	}
}
