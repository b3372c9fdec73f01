package stream

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"testing"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/wire"
	"github.com/stretchr/testify/require"
)

// msg returns a pooled message carrying header and body, as the engine
// sends one.
func msg(header, body []byte) *sp.Message {
	m := sp.NewMessage(len(body))
	m.Header = append(m.Header, header...)
	m.Body = append(m.Body, body...)
	return m
}

// numbered returns n bytes (n >= 4) that begin with i, so that frames of
// the same size tell apart.
func numbered(i, n int) []byte {
	b := pattern(n)
	binary.BigEndian.PutUint32(b, uint32(i))
	return b
}

// buffered returns the bytes c's writer holds for the next Flush.
func buffered(c *Conn) []byte {
	if c.w.buf == nil {
		return nil
	}
	return *c.w.buf
}

// shrinkBuffers makes the kernel hold few bytes from a to b, so that a
// socket fills up after some 10 KiB (tcp) or less (unix).
func shrinkBuffers(t *testing.T, a, b net.Conn) {
	t.Helper()
	type sizer interface {
		SetWriteBuffer(int) error
		SetReadBuffer(int) error
	}
	require.NoError(t, a.(sizer).SetWriteBuffer(4096))
	require.NoError(t, b.(sizer).SetReadBuffer(4096))
}

// recvEOF checks that nothing but the end of the stream comes to c.
func recvEOF(t *testing.T, c *Conn) {
	t.Helper()
	m, err := recvWatched(c)
	if m != nil {
		require.Failf(t, "frame after the last", "got a frame of %d bytes, want io.EOF", len(m.Body))
	}
	require.Equalf(t, io.EOF, err, "got %v, want io.EOF", err)
}

// TestSendNowWritesAtOnce sends over an idle connection with SendNow, which
// takes every message whole: the frames arrive without a Flush, and the
// writer holds no buffer after.
func TestSendNowWritesAtOnce(t *testing.T) {
	header := []byte{0x80, 0, 0, 7}
	for _, network := range []string{"tcp", "unix"} {
		for _, ipc := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/ipc=%v", network, ipc), func(t *testing.T) {
				a, b := socketPair(t, network)
				c, peer := New(a, 0, ipc), New(b, 0, ipc)
				for i := range 10 {
					body := numbered(i, 100+i)
					taken, more, err := c.SendNow(msg(header, body))
					require.NoError(t, err)
					require.Truef(t, taken, "frame %d: got taken false, want true", i)
					require.Falsef(t, more, "frame %d: got more true on an idle connection, want false", i)
					require.Truef(t, c.w.buf == nil, "frame %d: got %d bytes buffered and the buffer held, want none", i, len(buffered(c)))
					recvFrame(t, peer, append(header[:len(header):len(header)], body...), fmt.Sprintf("frame %d, never flushed", i))
				}
			})
		}
	}
}

// TestSendNowDeclines checks when SendNow leaves the message to the caller:
// while a frame is buffered, for a frame larger than the write buffer, over
// a connection without a descriptor (as tls). Then the message is untouched
// and nothing is written or buffered for it; the caller Sends it, and the
// peer gets every frame once, in order.
func TestSendNowDeclines(t *testing.T) {
	for _, network := range []string{"tcp", "unix"} {
		for _, ipc := range []bool{false, true} {
			hdr := wire.FrameHeaderSize(ipc)
			tests := []struct {
				name      string
				pipe      bool   // a connection with no descriptor
				before    []byte // the body of a frame Sent, not flushed, before SendNow
				size      int    // the body SendNow is given
				wantTaken bool
			}{
				{"idle", false, nil, 100, true},
				{"frame as large as the write buffer", false, nil, writeBufferSize - hdr, true},
				{"frame one byte larger than the write buffer", false, nil, writeBufferSize - hdr + 1, false},
				{"frame buffered before", false, numbered(0, 50), 100, false},
				{"frame buffered before, large frame", false, numbered(0, 50), writeBufferSize - hdr, false},
				{"no descriptor", true, nil, 100, false},
				{"no descriptor, frame buffered before", true, numbered(0, 50), 100, false},
			}
			for _, tt := range tests {
				t.Run(fmt.Sprintf("%s/ipc=%v/%s", network, ipc, tt.name), func(t *testing.T) {
					var a, b net.Conn
					if tt.pipe {
						a, b = net.Pipe()
						t.Cleanup(func() {
							a.Close()
							b.Close()
						})
					} else {
						a, b = socketPair(t, network)
					}
					c, peer := New(a, 0, ipc), New(b, 0, ipc)
					var want [][]byte
					if tt.before != nil {
						require.NoError(t, c.Send(msg(nil, tt.before)))
						want = append(want, tt.before)
					}
					had := bytes.Clone(buffered(c))

					body := numbered(1, tt.size)
					m := msg(nil, body)
					taken, more, err := c.SendNow(m)
					require.NoError(t, err)
					require.Equalf(t, tt.wantTaken, taken, "got taken %v, want %v", taken, tt.wantTaken)
					if taken {
						// The socket takes what it can; the rest waits for Flush.
						f := frame(ipc, body)
						rest := buffered(c)
						require.Equalf(t, len(rest) > 0, more, "got more %v with %d bytes buffered", more, len(rest))
						require.Truef(t, bytes.Equal(f[len(f)-len(rest):], rest), "got %d bytes buffered that are not the end of the frame", len(rest))
						m = nil
					} else {
						require.False(t, more, "got more true with taken false, want false")
						require.Truef(t, bytes.Equal(body, m.Body), "got the message back with %d bytes of body, want it untouched (%d bytes)", len(m.Body), len(body))
						require.Truef(t, bytes.Equal(had, buffered(c)), "got %d bytes buffered, want the %d buffered before", len(buffered(c)), len(had))
					}
					want = append(want, body)

					// The caller Sends a declined message the slow way,
					// then flushes and closes. A frame larger than the
					// socket holds makes the writes wait for the reader.
					errc := make(chan error, 1)
					go func() {
						var err error
						if m != nil {
							err = c.Send(m)
						}
						if err == nil {
							err = c.Flush()
						}
						a.Close()
						errc <- err
					}()
					for i, p := range want {
						recvFrame(t, peer, p, fmt.Sprintf("frame %d of %d", i+1, len(want)))
					}
					recvEOF(t, peer)
					require.NoError(t, <-errc)
				})
			}
		}
	}
}

// TestSendNowShortWrite sends with SendNow a frame larger than the room left
// in the socket, so the kernel takes part of it: SendNow takes the message
// and reports more, holding the end of the frame; it declines the next
// message while it does; and a Flush, while the peer reads, delivers every
// frame byte-exact and in order. The room is either the whole of an empty
// socket, or what is left after filling it with SendNow.
func TestSendNowShortWrite(t *testing.T) {
	for _, network := range []string{"tcp", "unix"} {
		for _, ipc := range []bool{false, true} {
			hdr := wire.FrameHeaderSize(ipc)
			tests := []struct {
				name string
				size int // of each body SendNow is given until it reports more
				// whether the kernel must take part of the last frame:
				// an empty socket takes some bytes of a frame larger
				// than it holds, a full one may take none.
				wantShort bool
			}{
				{"frame larger than the socket holds", writeBufferSize - hdr, true},
				{"socket filled first", 1000, false},
				{"socket filled first, larger frames", 4000, false},
			}
			for _, tt := range tests {
				t.Run(fmt.Sprintf("%s/ipc=%v/%s", network, ipc, tt.name), func(t *testing.T) {
					a, b := socketPair(t, network)
					shrinkBuffers(t, a, b)
					c, peer := New(a, 0, ipc), New(b, 0, ipc)
					var want [][]byte
					for more := false; !more; {
						require.Lessf(t, len(want), 64<<10, "got %d frames taken whole, want the socket full", len(want))
						body := numbered(len(want), tt.size)
						var taken bool
						var err error
						taken, more, err = c.SendNow(msg(nil, body))
						require.NoError(t, err)
						require.Truef(t, taken, "frame %d: got taken false, want true", len(want))
						want = append(want, body)
					}
					f := frame(ipc, want[len(want)-1])
					rest := bytes.Clone(buffered(c))
					require.NotEmpty(t, rest, "got more true with nothing buffered")
					require.LessOrEqualf(t, len(rest), len(f), "got %d bytes buffered, want at most the frame's %d", len(rest), len(f))
					require.Truef(t, bytes.Equal(f[len(f)-len(rest):], rest), "got %d bytes buffered that are not the end of the frame", len(rest))
					if tt.wantShort {
						require.Lessf(t, len(rest), len(f), "got the whole frame of %d bytes buffered, want the kernel to have taken some", len(f))
					}
					t.Logf("%d frames; the kernel took %d bytes of the last %d", len(want), len(f)-len(rest), len(f))

					// While bytes are held, SendNow declines.
					last := numbered(len(want), 100)
					m := msg(nil, last)
					taken, more, err := c.SendNow(m)
					require.NoError(t, err)
					require.Falsef(t, taken || more, "got taken %v, more %v with bytes buffered, want false, false", taken, more)
					require.Truef(t, bytes.Equal(last, m.Body), "got the message back with %d bytes of body, want it untouched (%d bytes)", len(m.Body), len(last))
					require.Truef(t, bytes.Equal(rest, buffered(c)), "got %d bytes buffered, want the %d held before", len(buffered(c)), len(rest))
					want = append(want, last)

					errc := make(chan error, 1)
					go func() {
						err := c.Send(m)
						if err == nil {
							err = c.Flush()
						}
						errc <- err
					}()
					for i, p := range want {
						recvFrame(t, peer, p, fmt.Sprintf("frame %d of %d", i+1, len(want)))
					}
					require.NoError(t, <-errc)
					require.True(t, c.w.buf == nil, "got the write buffer held after Flush, want it given back")
					sent, bytes := c.SentCounts()
					wantBytes := 0
					for _, p := range want {
						wantBytes += len(p)
					}
					require.Equalf(t, uint64(len(want)), sent, "SentCounts: got %d messages, want %d", sent, len(want))
					require.Equalf(t, uint64(wantBytes), bytes, "SentCounts: got %d bytes, want %d", bytes, wantBytes)

					// The socket is empty again: SendNow writes at once.
					again := numbered(len(want), 100)
					taken, more, err = c.SendNow(msg(nil, again))
					require.NoError(t, err)
					require.Truef(t, taken && !more, "got taken %v, more %v on a drained socket, want true, false", taken, more)
					recvFrame(t, peer, again, "frame after the Flush, never flushed")
				})
			}
		}
	}
}

// TestSendNowError checks that a SendNow whose write fails takes the
// message, reports the error and holds nothing for a Flush.
func TestSendNowError(t *testing.T) {
	for _, network := range []string{"tcp", "unix"} {
		t.Run(network, func(t *testing.T) {
			a, _ := socketPair(t, network)
			c := New(a, 0, false)
			require.NoError(t, a.Close())
			taken, more, err := c.SendNow(msg(nil, pattern(100)))
			require.ErrorIsf(t, err, net.ErrClosed, "got %v, want net.ErrClosed", err)
			require.Truef(t, taken, "got taken false with an error, want true")
			require.False(t, more, "got more true with an error, want false")
			require.Truef(t, c.w.buf == nil, "got %d bytes buffered after a failed SendNow, want none", len(buffered(c)))
			require.NoError(t, c.Flush())
		})
	}
}
