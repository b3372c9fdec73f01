package stream

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"testing"
	"time"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/wire"
	"github.com/stretchr/testify/require"
)

// shortWait is the read deadline of a Recv meant to time out once it has
// read what the peer wrote.
const shortWait = 2 * time.Millisecond

// nextPayload is the payload of the frame written after the one cut short.
var nextPayload = []byte("the frame after the one cut short")

// goWrite writes b to c from a goroutine and returns a function that waits
// for the write and returns its error. The goroutine ends before the test
// does: if the test stops without waiting, a cleanup closes c, which ends a
// write blocked on a full socket.
func goWrite(t *testing.T, c net.Conn, b []byte) (wait func() error) {
	done := make(chan struct{})
	var err error
	go func() {
		defer close(done)
		_, err = c.Write(b)
	}()
	t.Cleanup(func() {
		select {
		case <-done:
		default:
			c.Close()
			<-done
		}
	})
	return func() error {
		<-done
		return err
	}
}

// held returns how many bytes of the frame being read c's reader holds
// between two calls of Recv: those of a prefix, buffered, or the whole
// prefix and the payload bytes kept in the part message.
func held(c *Conn) int {
	if c.r.part != nil {
		return wire.FrameHeaderSize(c.ipc) + c.r.partG
	}
	return c.r.w - c.r.r
}

// recvBy calls c.Recv with the read deadline d.
func recvBy(t *testing.T, c *Conn, d time.Time) (*sp.Message, error) {
	t.Helper()
	require.NoError(t, c.SetReadDeadline(d))
	return c.Recv(0)
}

// recvWatched calls c.Recv, with no deadline set. A watchdog interrupts a
// Recv that does not return in 10 s, so that a lost frame fails the test
// instead of hanging it.
func recvWatched(c *Conn) (*sp.Message, error) {
	watchdog := time.AfterFunc(10*time.Second, func() { c.SetReadDeadline(time.Unix(1, 0)) })
	defer watchdog.Stop()
	return c.Recv(0)
}

// recvFrame calls recvWatched and checks that it returns a message carrying
// want.
func recvFrame(t *testing.T, c *Conn, want []byte, what string) {
	t.Helper()
	m, err := recvWatched(c)
	require.NoErrorf(t, err, "%s: got %v, want the frame", what, err)
	require.Truef(t, bytes.Equal(want, m.Body), "%s: got %d bytes that differ from the %d sent", what, len(m.Body), len(want))
	m.Free()
}

// requireTimeout checks that Recv returned no message and a read deadline's
// error.
func requireTimeout(t *testing.T, m *sp.Message, err error, what string) {
	t.Helper()
	if m != nil {
		require.Failf(t, "message on a timeout", "%s: got a message of %d bytes, want none", what, len(m.Body))
	}
	require.ErrorIsf(t, err, os.ErrDeadlineExceeded, "%s: got %v, want a deadline error", what, err)
	require.Truef(t, isTimeout(err), "%s: got %v, whose Timeout is false, want true", what, err)
}

// everyCut returns 0 to n.
func everyCut(n int) []int {
	cuts := make([]int, n+1)
	for i := range cuts {
		cuts[i] = i
	}
	return cuts
}

// largeCuts returns cuts of a frame with a size-byte prefix and an n-byte
// payload: in the prefix, around the reader's small buffer, where it starts
// reading straight into the message, where the message grows, and near the
// end.
func largeCuts(size, n int) []int {
	end := size + n
	return []int{0, 1, size - 1, size, size + 1,
		smallReadSize - 1, smallReadSize, smallReadSize + 1,
		size + directRead - 1, size + directRead,
		size + firstChunk - 1, size + firstChunk, size + firstChunk + 1,
		largeReadSize + smallReadSize,
		size + 2*firstChunk, size + 2*firstChunk + 1,
		end - directRead, end - smallReadSize, end - 1, end}
}

// TestRecvResumesAfterDeadline cuts a frame at every offset (at chosen ones
// for a large payload): the peer writes the bytes before the cut, Recv times
// out holding exactly those, a second Recv times out holding the same, and
// once the rest comes and the deadline is cleared Recv returns the frame
// byte-exact, then the frame after it.
func TestRecvResumesAfterDeadline(t *testing.T) {
	large := pattern(150<<10 + 5)
	for _, network := range []string{"tcp", "unix"} {
		for _, ipc := range []bool{false, true} {
			size := wire.FrameHeaderSize(ipc)
			payloads := []struct {
				name    string
				payload []byte
				cuts    []int
			}{
				{"empty", nil, everyCut(size)},
				{"small", pattern(37), everyCut(size + 37)},
				{"large", large, largeCuts(size, len(large))},
			}
			for _, p := range payloads {
				for _, cut := range p.cuts {
					name := fmt.Sprintf("%s/ipc=%v/%s/cut=%d", network, ipc, p.name, cut)
					if !t.Run(name, func(t *testing.T) { resumeAt(t, network, ipc, p.payload, cut) }) {
						break // the next cuts would fail alike, some only after the watchdog
					}
				}
			}
		}
	}
}

func resumeAt(t *testing.T, network string, ipc bool, payload []byte, cut int) {
	w, r := socketPair(t, network)
	c := New(r, 0, ipc)
	require.Truef(t, c.Resumable(), "got Resumable false over %s, want true", network)
	f := frame(ipc, payload)
	wait := goWrite(t, w, f[:cut])
	if cut < len(f) {
		// Time out until the reader holds every byte written: most often
		// the first Recv does, but a deadline may pass before all are
		// read, and then the next Recv resumes too. What it holds never
		// shrinks, and grows within a few deadlines while bytes are due.
		for tries, stalled := 0, 0; tries == 0 || held(c) < cut; tries++ {
			before := held(c)
			m, err := recvBy(t, c, time.Now().Add(shortWait))
			requireTimeout(t, m, err, fmt.Sprintf("cut at %d of %d, try %d", cut, len(f), tries))
			require.GreaterOrEqualf(t, held(c), before, "got %d bytes held after a timeout, want at least the %d held before", held(c), before)
			require.LessOrEqualf(t, held(c), cut, "got %d bytes held, want at most the %d written", held(c), cut)
			if held(c) > before {
				stalled = 0
			} else {
				stalled++
			}
			require.Lessf(t, stalled, 250, "after %d timeouts: got %d bytes held, want %d", tries+1, held(c), cut)
		}
		require.NoError(t, wait())

		// A second timeout at the same cut reads nothing and loses nothing.
		m, err := recvBy(t, c, time.Now().Add(shortWait))
		requireTimeout(t, m, err, "second timeout")
		require.Equalf(t, cut, held(c), "after a second timeout: got %d bytes held, want %d", held(c), cut)
		if c.r.part != nil {
			require.Equalf(t, len(payload), c.r.partN, "got a part of %d bytes, want %d", c.r.partN, len(payload))
			require.Truef(t, bytes.Equal(payload[:c.r.partG], c.r.part.Body),
				"the %d payload bytes kept differ from those sent", c.r.partG)
		}
		require.False(t, c.Buffered(), "got a whole frame buffered, want none before the rest is written")

		wait = goWrite(t, w, f[cut:])
		require.NoError(t, c.SetReadDeadline(time.Time{}))
	}
	recvFrame(t, c, payload, "the frame cut short")
	require.NoError(t, wait())
	require.True(t, c.r.part == nil, "got a part kept after the frame was returned, want none")

	wait = goWrite(t, w, frame(ipc, nextPayload))
	recvFrame(t, c, nextPayload, "the frame after")
	require.NoError(t, wait())
}

// TestRecvTimeoutsInARow lets many deadlines pass while a large frame
// trickles in, each interrupting Recv wherever it is, and checks that the
// frame and the one after arrive intact.
func TestRecvTimeoutsInARow(t *testing.T) {
	payload := pattern(300 << 10)
	for _, network := range []string{"tcp", "unix"} {
		for _, ipc := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/ipc=%v", network, ipc), func(t *testing.T) {
				w, r := socketPair(t, network)
				c := New(r, 0, ipc)
				stream := append(frame(ipc, payload), frame(ipc, nextPayload)...)
				errc := make(chan error, 1)
				go func() { errc <- writeChunks(w, stream, uint64(len(network))) }()
				want := [][]byte{payload, nextPayload}
				timeouts, afterWrite := 0, 0
				for len(want) > 0 {
					m, err := recvBy(t, c, time.Now().Add(200*time.Microsecond))
					if err != nil {
						requireTimeout(t, m, err, fmt.Sprintf("after %d timeouts", timeouts))
						timeouts++
						if errc == nil {
							// Every byte is written: the frames are
							// due within a few deadlines.
							afterWrite++
							require.Lessf(t, afterWrite, 1000, "got %d timeouts since the last byte was written, want %d more frames", afterWrite, len(want))
						}
						select {
						case err := <-errc:
							require.NoError(t, err)
							errc = nil
						default:
						}
						continue
					}
					require.Truef(t, bytes.Equal(want[0], m.Body), "got %d bytes that differ from the %d sent", len(m.Body), len(want[0]))
					m.Free()
					want = want[1:]
				}
				if errc != nil {
					require.NoError(t, <-errc)
				}
				t.Logf("%d timeouts", timeouts)
				require.Positive(t, timeouts, "got no timeout while the frame trickled in, want some")
			})
		}
	}
}

func TestResumable(t *testing.T) {
	tcpW, tcpR := socketPair(t, "tcp")
	unixW, unixR := socketPair(t, "unix")
	pipeW, pipeR := net.Pipe()
	defer pipeW.Close()
	defer pipeR.Close()
	tests := []struct {
		name string
		c    net.Conn
		want bool
	}{
		{"tcp", tcpR, true},
		{"tcp dialer", tcpW, true},
		{"unix", unixR, true},
		{"unix dialer", unixW, true},
		{"no descriptor", pipeR, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := New(tt.c, 0, false).Resumable()
			require.Equalf(t, tt.want, got, "got Resumable %v over %T, want %v", got, tt.c, tt.want)
		})
	}
}
