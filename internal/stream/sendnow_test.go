package stream

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/spgo/sp"
)

func message(header, body []byte) *sp.Message {
	m := sp.NewMessage(len(body))
	m.Header = append(m.Header, header...)
	m.Body = append(m.Body, body...)
	return m
}

// TestSendNowWholeFrame: an idle connection takes a frame at once, in
// one piece; right after a write it declines (the writer batches better).
func TestSendNowWholeFrame(t *testing.T) {
	for _, network := range []string{"tcp", "unix"} {
		t.Run(network, func(t *testing.T) {
			w, r := socketPair(t, network)
			ipc := network == "unix"
			c := New(w, 0x11, ipc)
			time.Sleep(2 * idleGap)
			taken, flushed, err := c.SendNow(message([]byte{0, 0, 0, 1}, []byte("hello")))
			require.NoError(t, err)
			require.True(t, taken, "got an idle connection declining SendNow, want it taken")
			require.True(t, flushed, "got a 17-byte frame only partly written")
			c.lastWrite = monoNow() // as if it had just written
			m := message(nil, []byte("again"))
			taken, _, _ = c.SendNow(m)
			require.False(t, taken, "got SendNow taken right after a write, want it declined")
			m.Free()

			rd := frameReader(r)
			got, err := rd.readFrame(ipc, 0)
			require.NoError(t, err)
			require.Equal(t, "\x00\x00\x00\x01hello", string(got.Body))
			got.Free()
		})
	}
}

// TestSendNowPartial: a frame larger than the socket takes at once is
// written in part; the rest waits for Flush, and the peer gets the frame
// whole, followed by what was sent after it.
func TestSendNowPartial(t *testing.T) {
	for _, network := range []string{"tcp", "unix"} {
		t.Run(network, func(t *testing.T) {
			w, r := socketPair(t, network)
			ipc := network == "unix"
			c := New(w, 0x11, ipc)
			body := pattern(8 << 20) // more than any socket buffer here
			time.Sleep(2 * idleGap)
			taken, flushed, err := c.SendNow(message(nil, body))
			require.NoError(t, err)
			require.True(t, taken)
			require.False(t, flushed, "got 8 MiB written at once, want a part kept for Flush")
			m := message(nil, []byte("next"))
			taken, _, _ = c.SendNow(m)
			require.False(t, taken, "got SendNow taken while part of a frame waits")

			// The writer: the rest of the frame goes first, then the next.
			errc := make(chan error, 1)
			go func() {
				if err := c.Send(m); err != nil {
					errc <- err
					return
				}
				errc <- c.Flush()
			}()
			rd := frameReader(r)
			got, err := rd.readFrame(ipc, 0)
			require.NoError(t, err)
			require.True(t, bytes.Equal(body, got.Body), "got %d bytes that differ from the %d sent", len(got.Body), len(body))
			got.Free()
			got, err = rd.readFrame(ipc, 0)
			require.NoError(t, err)
			require.Equal(t, "next", string(got.Body))
			got.Free()
			require.NoError(t, <-errc)
		})
	}
}

// TestSendNowClosed: a connection closed under SendNow reports an error and
// keeps nothing.
func TestSendNowClosed(t *testing.T) {
	w, r := socketPair(t, "tcp")
	c := New(w, 0x11, false)
	r.Close()
	w.Close()
	time.Sleep(2 * idleGap)
	taken, _, err := c.SendNow(message(nil, []byte("x")))
	require.True(t, taken)
	require.Error(t, err)
}
