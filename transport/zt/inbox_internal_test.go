package zt

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestInboxBounded feeds a connection that nobody reads far more whole
// messages from the network than it may queue: the queue stops at its
// bounds, the reader never waits, and what was queued comes out intact.
func TestInboxBounded(t *testing.T) {
	const nwid, self, peer = 0x8056c2e21c000001, 0x1122334455, 0xa1b2c3d4e5
	for _, tc := range []struct {
		name       string
		size       int // message size
		maxQueued  int // most that may be queued, in messages
		maxQBytes  int // and in bytes
		sendFactor int // sent: this many times maxQueued
	}{
		{"small", 100, inboxLen, inboxLen * 100, 3},
		{"large", 60 << 10, inboxBytes / (60 << 10), inboxBytes, 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := settings{sw: NewMemorySwitch(65535), localNode: self, recvMax: 1 << 20, pingTime: time.Hour, pingTries: 1}
			n, err := acquire(s, nwid)
			require.NoError(t, err)
			defer n.release()
			c := newConn(n, s, 0x10)
			c.lport, c.rport, c.rnode, c.rmac = 2000, 3000, peer, macFor(peer, nwid)
			h := header{op: opData, dst: c.lport, src: c.rport}
			msg := func(i int) []byte { return bytes.Repeat([]byte{byte(i)}, tc.size) }
			sent := tc.sendFactor * tc.maxQueued
			start := time.Now()
			for i := range sent {
				c.handle(h, appendData(nil, h, frag{uint16(i), uint16(tc.size), 0, 1}, msg(i)), false)
			}
			q, b := c.in.len()
			t.Logf("%d messages of %d bytes handled in %v: %d queued, %d bytes", sent, tc.size, time.Since(start), q, b)
			require.Equal(t, tc.maxQueued, q, "messages queued")
			require.LessOrEqual(t, b, tc.maxQBytes, "bytes queued")
			require.Equal(t, q*tc.size, b, "bytes counted against the messages queued")
			for i := range q {
				m, err := c.Recv(0)
				require.NoError(t, err)
				require.Equal(t, msg(i), m.Body, "message %d", i)
				m.Free() // the engine's, which frees what it drops
			}
			q, b = c.in.len()
			require.Zero(t, q, "messages left after all were taken")
			require.Zero(t, b, "bytes counted after all were taken")
			require.Nil(t, c.in.q, "the queue's array after a burst")
		})
	}
}

// TestInboxPutWait checks a sender in this process: it waits for room in
// a full inbox, and gives up when the wait ends or the connection closes.
func TestInboxPutWait(t *testing.T) {
	full := func() *inbox {
		in := newInbox()
		for range inboxLen {
			require.True(t, in.put([]byte("x")))
		}
		require.False(t, in.put([]byte("x")), "put into a full inbox")
		return in
	}
	t.Run("room", func(t *testing.T) {
		in := full()
		go func() {
			time.Sleep(20 * time.Millisecond)
			in.take()
		}()
		require.True(t, in.putWait([]byte("y"), nil, 10*time.Second), "putWait after a take made room")
		n, _ := in.len()
		require.Equal(t, inboxLen, n, "messages queued")
	})
	t.Run("timeout", func(t *testing.T) {
		in := full()
		start := time.Now()
		require.False(t, in.putWait([]byte("y"), nil, 30*time.Millisecond), "putWait with no room")
		require.GreaterOrEqual(t, time.Since(start), 30*time.Millisecond, "time waited")
		require.Zero(t, in.waiting, "waiters left")
	})
	t.Run("closed", func(t *testing.T) {
		in := full()
		done := make(chan struct{})
		close(done)
		require.False(t, in.putWait([]byte("y"), done, 10*time.Second), "putWait on a closed connection")
	})
}
