package inproc

import (
	"errors"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/spgo/sp"
)

// A receiver that said it waits and then left (its read deadline passed)
// is handed the next message all the same: it waits in the receiver's
// channel, ahead of what follows through the ring, and counts as taken.
// Each case ends the wait its own way, then checks what Recv returns.
func TestHandOffWaitsInChannel(t *testing.T) {
	for _, tc := range []struct {
		name  string
		after func(t *testing.T, a, b *conn) // after m0 was handed over
		want  []string                       // what Recv returns, in order
		err   error                          // what the Recv after them returns
	}{
		{"ring after it", func(t *testing.T, a, b *conn) { send(t, a, "m1") }, []string{"m0", "m1"}, os.ErrDeadlineExceeded},
		{"closed", func(t *testing.T, a, b *conn) { a.Close() }, []string{"m0"}, sp.ErrClosed},
		{"ring then closed", func(t *testing.T, a, b *conn) { send(t, a, "m1"); a.Close() }, []string{"m0", "m1"}, sp.ErrClosed},
		{"deadline passed", func(t *testing.T, a, b *conn) {}, []string{"m0"}, os.ErrDeadlineExceeded},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := connPair(t)
			b.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
			_, err := b.Recv(0) // says it waits, then the deadline passes
			require.ErrorIs(t, err, os.ErrDeadlineExceeded)
			send(t, a, "m0")
			require.Len(t, b.in.rx, 1, "m0 was not handed over: got %d in the channel, want 1", len(b.in.rx))
			msgs, bytes := b.RecvCounts()
			require.Equal(t, uint64(1), msgs, "handed over: got %d messages counted, want 1", msgs)
			require.Equal(t, uint64(2), bytes, "handed over: got %d bytes counted, want 2", bytes)
			tc.after(t, a, b)
			for _, want := range tc.want {
				m, err := b.Recv(0)
				require.NoError(t, err, "Recv, for %q", want)
				require.Equal(t, want, string(m.Body), "got %q, want %q", m.Body, want)
				m.Free()
			}
			_, err = b.Recv(0)
			require.True(t, errors.Is(err, tc.err), "Recv after all: got %v, want %v", err, tc.err)
		})
	}
}

// A receiver parked in Recv gets messages in hand, one after another, and
// a sender that keeps sending while it is away fills the ring behind them;
// everything arrives in order and counts agree with the sender's.
func TestHandOffInOrder(t *testing.T) {
	a, b := connPair(t)
	a.SetSendQueueLen(4)
	const n = 20000
	done := make(chan error, 1)
	go func() {
		for i := range n {
			m := numbered(i)
			for {
				taken, _, err := a.SendNow(m)
				if err != nil {
					done <- err
					return
				}
				if taken {
					break
				}
				<-a.out.tx // room
			}
		}
		done <- nil
	}()
	for i := range n {
		m, err := b.Recv(0)
		require.NoError(t, err)
		require.Equal(t, numbered(i).Body, m.Body, "message %d: got %q", i, m.Body)
		m.Free()
	}
	require.NoError(t, <-done)
	sent, sentBytes, queued := a.SendCounts()
	msgs, bytes := b.RecvCounts()
	require.Equal(t, sent, msgs, "got %d messages counted, want %d", msgs, sent)
	require.Equal(t, sentBytes, bytes, "got %d bytes counted, want %d", bytes, sentBytes)
	require.Zero(t, queued, "queued once all is taken: got %d, want 0", queued)
}

func send(t *testing.T, c *conn, body string) {
	t.Helper()
	m := sp.NewMessage(len(body))
	m.Body = append(m.Body, body...)
	taken, _, err := c.SendNow(m)
	require.NoError(t, err)
	require.True(t, taken, "SendNow(%q): the lane had no room", body)
}

// RecvOrWait returns a channel when nothing has come; a message handed
// over through it goes through Handed, which holds it to the size limit as
// Recv does, and the reader's place moves on past it.
func TestRecvOrWaitHanded(t *testing.T) {
	a, b := connPair(t)
	for _, tc := range []struct {
		body string
		err  error
	}{
		{"too large", sp.ErrTooLarge},
		{"fits", nil},
		{"too large again", sp.ErrTooLarge},
	} {
		m, wait, err := b.RecvOrWait(8)
		require.NoError(t, err)
		require.Nil(t, m, "nothing sent yet: got %v, want nil", m)
		require.NotNil(t, wait, "nothing sent yet: got no channel to wait on")
		send(t, a, tc.body)
		got := <-wait
		require.NotNil(t, got, "%q: got a token, want the message handed over", tc.body)
		got, err = b.Handed(got, 8)
		if tc.err != nil {
			require.ErrorIs(t, err, tc.err, "%q: got %v, want %v", tc.body, err, tc.err)
			continue
		}
		require.NoError(t, err)
		require.Equal(t, tc.body, string(got.Body), "got %q, want %q", got.Body, tc.body)
	}
	send(t, a, "ring")
	m, wait, err := b.RecvOrWait(8)
	require.NoError(t, err)
	require.Nil(t, wait, "a message in the ring: got a channel to wait on")
	require.Equal(t, "ring", string(m.Body), "got %q, want %q", m.Body, "ring")
	msgs, _ := b.RecvCounts()
	require.Equal(t, uint64(4), msgs, "got %d messages counted, want 4", msgs)
}
