package stream

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// socketPair returns the two ends of a real connection over network ("tcp"
// or "unix"), so that the reader takes its descriptor path.
func socketPair(t *testing.T, network string) (net.Conn, net.Conn) {
	t.Helper()
	addr := "127.0.0.1:0"
	if network == "unix" {
		addr = filepath.Join(t.TempDir(), "s")
	}
	l, err := net.Listen(network, addr)
	require.NoError(t, err)
	defer l.Close()
	type res struct {
		c   net.Conn
		err error
	}
	ch := make(chan res, 1)
	go func() {
		c, err := l.Accept()
		ch <- res{c, err}
	}()
	a, err := net.Dial(network, l.Addr().String())
	require.NoError(t, err)
	r := <-ch
	require.NoError(t, r.err)
	t.Cleanup(func() {
		a.Close()
		r.c.Close()
	})
	return a, r.c
}

// writeChunks writes b in pieces of random sizes (some of a single byte),
// pausing now and then so that the reader sees partial frames.
func writeChunks(c net.Conn, b []byte, seed uint64) error {
	rng := rand.New(rand.NewPCG(seed, seed))
	for len(b) > 0 {
		n := min(len(b), 1+rng.IntN(3000))
		if rng.IntN(4) == 0 {
			n = 1
		}
		if _, err := c.Write(b[:n]); err != nil {
			return err
		}
		b = b[n:]
		if rng.IntN(8) == 0 {
			time.Sleep(time.Millisecond)
		}
	}
	return nil
}

func TestReaderDescriptorPath(t *testing.T) {
	sizes := []int{0, 1, 63, 64, 500, 511, 512, 1000, 4096, 40 << 10, 64 << 10, 300 << 10}
	for _, network := range []string{"tcp", "unix"} {
		for _, ipc := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/ipc=%v", network, ipc), func(t *testing.T) {
				w, r := socketPair(t, network)
				rd := frameReader(r)
				require.NotNil(t, rd.raw, "a %T must be read through its descriptor", r)
				var stream []byte
				for _, size := range sizes {
					stream = append(stream, frame(ipc, pattern(size))...)
				}
				errc := make(chan error, 1)
				go func() { errc <- writeChunks(w, stream, 1) }()
				for _, size := range sizes {
					m, err := rd.readFrame(ipc, 0)
					require.NoError(t, err)
					require.Truef(t, bytes.Equal(pattern(size), m.Body), "frame of %d bytes: got %d bytes that differ", size, len(m.Body))
					m.Free()
				}
				require.NoError(t, <-errc)
				w.Close()
				_, err := rd.readFrame(ipc, 0)
				require.Equal(t, io.EOF, err, "got %v, want io.EOF after the peer closed", err)
			})
		}
	}
}

func TestReaderPeerClosesMidFrame(t *testing.T) {
	for _, network := range []string{"tcp", "unix"} {
		t.Run(network, func(t *testing.T) {
			w, r := socketPair(t, network)
			rd := frameReader(r)
			_, err := w.Write(claim(false, 100, []byte("only some")))
			require.NoError(t, err)
			w.Close()
			m, err := rd.readFrame(false, 0)
			require.Nil(t, m)
			require.Equal(t, io.ErrUnexpectedEOF, err, "got %v, want io.ErrUnexpectedEOF", err)
		})
	}
}

func TestReaderLocalClose(t *testing.T) {
	_, r := socketPair(t, "tcp")
	rd := frameReader(r)
	errc := make(chan error, 1)
	go func() {
		_, err := rd.readFrame(false, 0)
		errc <- err
	}()
	time.Sleep(20 * time.Millisecond)
	r.Close()
	select {
	case err := <-errc:
		require.ErrorIs(t, err, net.ErrClosed)
	case <-time.After(5 * time.Second):
		t.Fatal("a blocked read did not return when its connection closed")
	}
}

// TestReaderBuffersFollowTraffic checks that a burst moves the reader to
// its large buffer and that it gives the buffer back once the connection
// has nothing more to read, so that an idle connection holds only its small
// buffer.
func TestReaderBuffersFollowTraffic(t *testing.T) {
	for _, network := range []string{"tcp", "unix"} {
		t.Run(network, func(t *testing.T) {
			w, r := socketPair(t, network)
			rd := frameReader(r)
			const n = 2000
			one := frame(false, pattern(100))
			burst := bytes.Repeat(one, n)
			errc := make(chan error, 1)
			go func() {
				_, err := w.Write(burst)
				errc <- err
			}()
			sawLarge := false
			for range n {
				m, err := rd.readFrame(false, 0)
				require.NoError(t, err)
				m.Free()
				sawLarge = sawLarge || rd.large != nil
			}
			require.NoError(t, <-errc)
			require.True(t, sawLarge, "got no large buffer during a burst of %d frames, want one", n)

			// Nothing more comes: the read waits, and gives the large
			// buffer back before it does.
			require.NoError(t, r.SetReadDeadline(time.Now().Add(50*time.Millisecond)))
			_, err := rd.readFrame(false, 0)
			require.True(t, isTimeout(err), "got %v, want a timeout", err)
			require.Nil(t, rd.large, "an idle reader still holds its large buffer")
			require.NoError(t, r.SetReadDeadline(time.Time{}))

			// Sparse small messages stay in the small buffer.
			for range 20 {
				_, err := w.Write(one)
				require.NoError(t, err)
				m, err := rd.readFrame(false, 0)
				require.NoError(t, err)
				m.Free()
			}
			require.Nil(t, rd.large, "got a large buffer for sparse small messages, want the small one")
		})
	}
}

// TestReaderKeepsLargeAcrossShortReads checks that a reader gives its large
// buffer up only after shrinkAfter short reads in a row: a peer whose writes
// hover around smallReadSize would otherwise have every write that met the
// small buffer read in two.
func TestReaderKeepsLargeAcrossShortReads(t *testing.T) {
	for _, network := range []string{"tcp", "unix"} {
		t.Run(network, func(t *testing.T) {
			w, r := socketPair(t, network)
			rd := frameReader(r)
			big := frame(false, pattern(smallReadSize-8)) // fills the small buffer, exactly
			small := frame(false, pattern(smallReadSize/2))
			read := func(what string, k int) {
				t.Helper()
				m, err := rd.readFrame(false, 0)
				require.NoError(t, err, "%s %d", what, k)
				m.Free()
			}
			_, err := w.Write(big)
			require.NoError(t, err)
			read("big", 0)
			require.True(t, rd.wantLarge, "after a read that filled the small buffer: wantLarge false, want true")
			for k := 1; k <= shrinkAfter; k++ {
				_, err := w.Write(small)
				require.NoError(t, err)
				read("small", k)
				want := k < shrinkAfter
				require.Equal(t, want, rd.wantLarge, "after %d short reads: wantLarge %v, want %v", k, rd.wantLarge, want)
			}
			// A read that the small buffer would not hold starts the count
			// again.
			_, err = w.Write(big)
			require.NoError(t, err)
			read("big", 1)
			_, err = w.Write(big)
			require.NoError(t, err)
			read("big", 2)
			for k := 1; k < shrinkAfter; k++ {
				_, err := w.Write(small)
				require.NoError(t, err)
				read("small", k)
			}
			_, err = w.Write(big)
			require.NoError(t, err)
			read("big", 3)
			require.True(t, rd.wantLarge, "a long read between short ones: wantLarge false, want true")
		})
	}
}

// TestReaderDescriptorSteadyStateAllocs reads frames from a real socket and
// frees them: nothing is allocated per frame.
func TestReaderDescriptorSteadyStateAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items at random under the race detector")
	}
	for _, size := range []int{64, 1000} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			w, r := socketPair(t, "tcp")
			rd := frameReader(r)
			one := frame(false, pattern(size))
			const batch = 100
			burst := bytes.Repeat(one, batch)
			got := testing.AllocsPerRun(50, func() {
				if _, err := w.Write(burst); err != nil {
					panic(err)
				}
				for range batch {
					m, err := rd.readFrame(false, 0)
					if err != nil {
						panic(err)
					}
					m.Free()
				}
			})
			require.Zerof(t, got, "got %v allocations per %d frames, want 0", got, batch)
		})
	}
}

func TestReaderHandshakeBytesKept(t *testing.T) {
	// The handshake and the first frame arrive in one segment: the frame
	// must not be lost to the handshake's read.
	w, r := socketPair(t, "tcp")
	c := New(r, 0x11, false)
	hs := []byte{0, 'S', 'P', 0, 0, 0x11, 0, 0}
	go func() {
		var b [8]byte
		io.ReadFull(w, b[:])
	}()
	_, err := w.Write(append(hs, frame(false, []byte("first"))...))
	require.NoError(t, err)
	require.NoError(t, c.Handshake(time.Now().Add(5*time.Second)))
	m, err := c.Recv(0)
	require.NoError(t, err)
	require.Equal(t, "first", string(m.Body))
	m.Free()
}

// TestFrameBuffered checks the engine's question "is a whole frame at
// hand?" at every point of a stream of two frames.
func TestFrameBuffered(t *testing.T) {
	for _, ipc := range []bool{false, true} {
		t.Run(fmt.Sprintf("ipc=%v", ipc), func(t *testing.T) {
			one := frame(ipc, []byte("first"))
			two := frame(ipc, []byte("second"))
			stream := append(append([]byte(nil), one...), two...)
			for cut := 0; cut <= len(stream); cut++ {
				rd := frameReader(bytes.NewReader(nil))
				rd.w = copy(rd.buf, stream[:cut])
				want := cut >= len(one)
				require.Equalf(t, want, rd.frameBuffered(ipc), "%d bytes buffered: got %v, want %v", cut, !want, want)
			}
			// A malformed ipc prefix counts as at hand: readFrame fails at once.
			if ipc {
				rd := frameReader(bytes.NewReader(nil))
				bad := append([]byte{0x02}, one[1:]...)
				rd.w = copy(rd.buf, bad)
				require.True(t, rd.frameBuffered(ipc), "got a malformed prefix not at hand, want at hand")
			}
		})
	}
}
