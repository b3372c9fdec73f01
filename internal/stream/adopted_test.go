package stream

import (
	"io"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/spgo/sp"
)

// TestAdoptedHandshake runs the handshake of adopted connections over a
// synchronous net.Pipe, where peers that both wrote first would wait for
// each other forever, and checks how it fails against peers that never
// write or never read: in time, with no goroutine left behind (TestMain
// checks).
func TestAdoptedHandshake(t *testing.T) {
	t.Run("both adopted", func(t *testing.T) {
		a, b := net.Pipe()
		defer a.Close()
		defer b.Close()
		ca, cb := NewAdopted(a, 0x30, false), NewAdopted(b, 0x31, false)
		deadline := time.Now().Add(5 * time.Second)
		errb := make(chan error, 1)
		go func() { errb <- cb.Handshake(deadline) }()
		require.NoError(t, ca.Handshake(deadline))
		require.NoError(t, <-errb)
		require.Equal(t, uint16(0x31), ca.PeerProtocol(), "got 0x%x, want 0x31", ca.PeerProtocol())
		require.Equal(t, uint16(0x30), cb.PeerProtocol(), "got 0x%x, want 0x30", cb.PeerProtocol())
	})
	tests := []struct {
		name string
		peer func(c net.Conn) // what the other end does
		want error
	}{
		{"peer never writes", func(c net.Conn) { io.Copy(io.Discard, c) }, sp.ErrTimeout},
		{"peer never reads", func(c net.Conn) { c.Write([]byte{0, 'S', 'P', 0, 0, 0x31, 0, 0}) }, sp.ErrTimeout},
		{"peer writes garbage", func(c net.Conn) { c.Write([]byte("GET / HTTP/1.1\r\n")) }, sp.ErrBadProtocol},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := net.Pipe()
			defer b.Close()
			done := make(chan struct{})
			go func() {
				defer close(done)
				tt.peer(b)
			}()
			c := NewAdopted(a, 0x30, false)
			start := time.Now()
			err := c.Handshake(start.Add(100 * time.Millisecond))
			require.ErrorIs(t, err, tt.want, "got %v, want %v", err, tt.want)
			require.Less(t, time.Since(start), 3*time.Second, "Handshake took %v, want about 100ms", time.Since(start))
			a.Close()
			b.Close()
			<-done
		})
	}
}
