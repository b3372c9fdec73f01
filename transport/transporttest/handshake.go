package transporttest

import (
	"errors"
	"net"
	"testing"
	"time"

	"github.com/spgo/sp"
	"github.com/spgo/sp/protocol/pair"
)

// testHandshake speaks raw bytes to a listener (Stream transports only): a
// peer whose handshake is not SP, and one that says nothing, must both be
// dropped (the silent one once the listener's HandshakeTimeout passes),
// without keeping a real peer from connecting meanwhile.
func testHandshake(t *testing.T, c Config) {
	if c.Stream == nil {
		t.Skip("Config.Stream is nil: no raw access to the transport's byte stream")
	}
	const hsTimeout = 200 * time.Millisecond
	ctx := testCtx(t)
	l := newSocket(t, pair.NewSocket)
	w := watch(l)
	_, url := listen(t, c, l, c.Addr(t), sp.With(sp.HandshakeTimeout, hsTimeout))

	for _, h := range []struct {
		name  string
		hello []byte
	}{
		{"silent peer", nil},
		{"HTTP peer", []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n")},
		{"SP version 1", []byte{0, 'S', 'P', 1, 0, pair.ProtocolID, 0, 0}},
		{"reserved bytes set", []byte{0, 'S', 'P', 0, 0, pair.ProtocolID, 1, 0}},
	} {
		t.Run(h.name, func(t *testing.T) {
			conn, err := c.Stream.Dial(ctx, url)
			if err != nil {
				t.Fatalf("raw dial %s: %v", url, err)
			}
			defer conn.Close()
			if h.hello != nil {
				if _, err := conn.Write(h.hello); err != nil {
					t.Fatalf("writing %q: %v", h.hello, err)
				}
			}
			// A real peer connects and talks while the raw one lingers.
			if h.hello == nil {
				d := newSocket(t, pair.NewSocket)
				dial(t, c, d, url, true)
				exchange(t, ctx, d, l, "while a silent peer waits")
				d.Close()
			}
			start := time.Now()
			conn.SetReadDeadline(start.Add(hsTimeout + 5*time.Second))
			if err := drain(conn); err != nil {
				t.Fatalf("%s: the listener kept the connection open for %v, want it closed (handshake timeout %v): %v",
					h.name, time.Since(start), hsTimeout, err)
			}
		})
	}
	if live := func() int { w.mu.Lock(); defer w.mu.Unlock(); return len(w.live) }(); live != 0 {
		t.Errorf("after bad handshakes the listener has %d live pipes, want 0", live)
	}
}

// drain reads conn until the peer closes it (nil) or the read deadline
// passes (an error).
func drain(conn net.Conn) error {
	buf := make([]byte, 512)
	for {
		_, err := conn.Read(buf)
		if err == nil {
			continue
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return err
		}
		return nil
	}
}
