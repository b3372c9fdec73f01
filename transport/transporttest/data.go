package transporttest

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/sptest"
	"github.com/spgo/sp/protocol/pair"
	"github.com/spgo/sp/protocol/pull"
	"github.com/spgo/sp/protocol/push"
)

// testOrder sends 1000 numbered messages of varied sizes and checks that
// they arrive complete and in order. Over a datagram transport, which
// drops what overflows its receiver, the sender waits for each window of
// orderWindow messages to arrive before it sends the next.
func testOrder(t *testing.T, c Config) {
	const n = 1000
	ctx := testCtx(t)
	a, b := newSocket(t, pair.NewSocket), newSocket(t, pair.NewSocket)
	_, url := listen(t, c, b, c.Addr(t))
	dial(t, c, a, url, true)

	errc := make(chan error, 1)
	got := make(chan int, n)
	go func() {
		for i := range n {
			if c.Datagram != nil && i > 0 && i%orderWindow == 0 {
				if !waitReceived(ctx, got, i) {
					errc <- fmt.Errorf("send #%d: the receiver stopped: %w", i, ctx.Err())
					return
				}
			}
			if err := a.Send(ctx, orderMsg(i)); err != nil {
				errc <- fmt.Errorf("send #%d: %w", i, err)
				return
			}
		}
		errc <- nil
	}()
	for i := range n {
		m, err := b.RecvMsg(ctx)
		if err != nil {
			t.Fatalf("Recv #%d: %v", i, err)
		}
		if want := orderMsg(i); !bytes.Equal(m.Body, want) {
			got := -1
			if len(m.Body) >= 4 {
				got = int(binary.BigEndian.Uint32(m.Body))
			}
			t.Fatalf("message #%d: got message #%d (%d bytes), want #%d (%d bytes)", i, got, len(m.Body), i, len(want))
		}
		m.Free()
		got <- i + 1
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}

// orderWindow is how many messages testOrder sends over a datagram
// transport before it waits for them to arrive: up to ~48 KiB.
const orderWindow = 16

// waitReceived waits until the count of received messages on got reaches
// n, and reports false if ctx ends first.
func waitReceived(ctx context.Context, got <-chan int, n int) bool {
	for {
		select {
		case k := <-got:
			if k >= n {
				return true
			}
		case <-ctx.Done():
			return false
		}
	}
}

// orderMsg is message i of testOrder: its number, then a pattern of a size
// that varies from 0 to ~3 KiB, so that frames straddle buffer boundaries.
func orderMsg(i int) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(i))
	return append(b, sptest.Payload((i*37)%3001, byte(i))...)
}

// testLarge sends one 16 MiB message, with the receiver's RecvMaxSize
// raised, and a small one after it; both must arrive byte for byte.
func testLarge(t *testing.T, c Config) {
	if c.Datagram != nil {
		testLargeDatagram(t, c)
		return
	}
	const size = 16 << 20
	ctx := testCtx(t)
	a, b := newSocket(t, pair.NewSocket), newSocket(t, pair.NewSocket)
	_, url := listen(t, c, b, c.Addr(t), sp.With(sp.RecvMaxSize, size+1024))
	dial(t, c, a, url, true)

	big := sptest.Payload(size, 42)
	send(t, ctx, a, big)
	send(t, ctx, a, []byte("after"))
	m := recvMsg(t, ctx, b)
	if !bytes.Equal(m.Body, big) {
		t.Fatalf("16 MiB message: got %d bytes, first difference at %d; want %d bytes equal to those sent",
			len(m.Body), firstDiff(m.Body, big), len(big))
	}
	m.Free()
	if m := recvMsg(t, ctx, b); string(m.Body) != "after" {
		t.Fatalf("message after the 16 MiB one: got %d bytes %.20q, want %q", len(m.Body), m.Body, "after")
	}
}

// testLargeDatagram sends, over a datagram transport, the largest message
// a datagram carries, which must arrive byte for byte, then one a byte
// larger, which Send must refuse with sp.ErrTooLarge (the transport's
// connections are sp.SendLimiters); the pipe stays, and a small message
// after it arrives.
func testLargeDatagram(t *testing.T, c Config) {
	size := c.Datagram.MaxMessage
	ctx := testCtx(t)
	a, b := newSocket(t, pair.NewSocket), newSocket(t, pair.NewSocket)
	wa := watch(a)
	_, url := listen(t, c, b, c.Addr(t), sp.With(sp.RecvMaxSize, 0))
	dial(t, c, a, url, true)
	wa.wait(t, "the dialer's pipe", func(live, _, _ int) bool { return live == 1 })

	big := sptest.Payload(size, 42)
	send(t, ctx, a, big)
	m := recvMsg(t, ctx, b)
	if !bytes.Equal(m.Body, big) {
		t.Fatalf("a %d-byte message (the largest a datagram carries): got %d bytes, first difference at %d; want %d bytes equal to those sent",
			size, len(m.Body), firstDiff(m.Body, big), len(big))
	}
	m.Free()

	if err := a.Send(ctx, sptest.Payload(size+1, 43)); !errors.Is(err, sp.ErrTooLarge) {
		t.Fatalf("Send of %d bytes, over the largest a datagram carries (%d): got %v, want an error wrapping sp.ErrTooLarge", size+1, size, err)
	}
	send(t, ctx, a, []byte("after"))
	if m := recvMsg(t, ctx, b); string(m.Body) != "after" {
		t.Fatalf("message after the %d-byte one: got %d bytes %.20q, want %q (the over-size message must not be delivered)",
			size+1, len(m.Body), m.Body, "after")
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// testRecvMaxSize checks the receive limit over any transport: a message of
// limit+1 bytes closes the pipe that carried it and is not delivered, while
// one of exactly the limit, from another peer, is.
//
// A datagram transport, whose messages are smaller, uses half its largest
// message as the limit.
func testRecvMaxSize(t *testing.T, c Config) {
	limit := 64 << 10
	if c.Datagram != nil {
		limit = c.Datagram.MaxMessage / 2
	}
	ctx := testCtx(t)
	l := newSocket(t, pull.NewSocket)
	w := watch(l)
	_, url := listen(t, c, l, c.Addr(t), sp.With(sp.RecvMaxSize, limit))

	over := newSocket(t, push.NewSocket)
	dial(t, c, over, url, true)
	w.wait(t, "the first pipe", func(live, _, _ int) bool { return live == 1 })
	if c.Datagram != nil {
		// The receiver's limit travels to the sender (sp.SendLimiter),
		// which refuses the message at Send; the receiver's own check,
		// for senders that ignore it, is the transport's to test.
		if err := over.Send(ctx, sptest.Payload(limit+1, 1)); !errors.Is(err, sp.ErrTooLarge) {
			t.Fatalf("Send of limit+1 (%d) bytes to a peer with RecvMaxSize %d over a datagram transport: got %v, want an error wrapping sp.ErrTooLarge",
				limit+1, limit, err)
		}
		testRecvMaxSizeOther(t, c, url, limit, l)
		return
	}
	send(t, ctx, over, sptest.Payload(limit+1, 1))
	// Receive meanwhile, to fail at once if the message is delivered.
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	got := make(chan *sp.Message, 1)
	go func() {
		defer close(got)
		if m, err := l.RecvMsg(rctx); err == nil {
			got <- m
		}
	}()
	closed := make(chan bool, 1)
	go func() { closed <- w.until(rctx, func(_, _, removed int) bool { return removed >= 1 }) }()
	var m *sp.Message
	var ok bool
	select {
	case ok = <-closed:
		cancel()
		m = <-got
	case m = <-got:
		cancel()
		ok = <-closed
	}
	if m != nil {
		t.Fatalf("a message of limit+1 (%d) bytes with RecvMaxSize %d: received %d bytes, want the pipe closed and nothing delivered",
			limit+1, limit, len(m.Body))
	}
	if !ok {
		t.Fatalf("a message of limit+1 (%d) bytes with RecvMaxSize %d: the pipe that carried it is still open after %v, want it closed",
			limit+1, limit, timeout)
	}
	over.Close() // or it reconnects, and the next pipe must not be it
	testRecvMaxSizeOther(t, c, url, limit, l)
}

// testRecvMaxSizeOther checks that a message of exactly the limit, from
// another peer, is delivered.
func testRecvMaxSizeOther(t *testing.T, c Config, url string, limit int, l sp.Socket) {
	ctx := testCtx(t)
	other := newSocket(t, push.NewSocket)
	dial(t, c, other, url, true)
	want := sptest.Payload(limit, 2)
	send(t, ctx, other, want)
	m := recvMsg(t, ctx, l)
	if !bytes.Equal(m.Body, want) {
		t.Fatalf("after a message of limit+1 (%d) bytes was refused, received %d bytes %.16q..., want the %d-byte message of another peer",
			limit+1, len(m.Body), m.Body, limit)
	}
	m.Free()
}

// testClaim speaks raw SP to a listener (Stream transports only) and sends
// the prefix of a frame claiming 1 GiB: over the limit, the listener must
// close the connection without waiting for the body and without allocating
// the claimed size; with no limit, memory must follow the bytes that
// actually arrive.
func testClaim(t *testing.T, c Config) {
	if c.Stream == nil {
		t.Skip("Config.Stream is nil: no raw access to the transport's byte stream")
	}
	const claim = 1 << 30
	t.Run("OverLimit", func(t *testing.T) {
		alloc := claimRaw(t, c, 1<<20, claim, false)
		t.Logf("allocated %d bytes while refusing the frame", alloc)
		if alloc > 64<<20 {
			t.Errorf("refusing a frame that claims %d bytes allocated %d bytes, want well under the claim (< 64 MiB)", claim, alloc)
		}
	})
	t.Run("NoLimitTrickle", func(t *testing.T) {
		alloc := claimRaw(t, c, 0, claim, true)
		t.Logf("allocated %d bytes for the frame's first 1 KiB", alloc)
		if alloc > 64<<20 {
			t.Errorf("a frame that claims %d bytes and brings 1 KiB allocated %d bytes, want memory to follow the bytes that arrive (< 64 MiB)", claim, alloc)
		}
	})
}

// claimRaw connects to a pair listener with RecvMaxSize limit, does the SP
// handshake, and sends a frame prefix claiming claim bytes and 1 KiB of
// payload. With hangUp it then closes the connection itself; otherwise it
// waits for the listener to close it. It returns the bytes allocated
// meanwhile in the whole process.
func claimRaw(t *testing.T, c Config, limit, claim int, hangUp bool) uint64 {
	ctx := testCtx(t)
	s := newSocket(t, pair.NewSocket)
	w := watch(s)
	_, url := listen(t, c, s, c.Addr(t), sp.With(sp.RecvMaxSize, limit))

	conn, err := c.Stream.Dial(ctx, url)
	if err != nil {
		t.Fatalf("raw dial %s: %v", url, err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(timeout))
	if _, err := conn.Write([]byte{0, 'S', 'P', 0, 0, pair.ProtocolID, 0, 0}); err != nil {
		t.Fatalf("writing the SP handshake: %v", err)
	}
	var hs [8]byte
	if _, err := io.ReadFull(conn, hs[:]); err != nil {
		t.Fatalf("reading the listener's SP handshake: %v", err)
	}
	if want := [8]byte{0, 'S', 'P', 0, 0, pair.ProtocolID, 0, 0}; hs != want {
		t.Fatalf("listener's handshake: got % x, want % x", hs, want)
	}
	w.wait(t, "the raw connection's pipe", func(_, added, _ int) bool { return added == 1 })

	var frame []byte
	if c.Stream.IPC {
		frame = append(frame, 1)
	}
	frame = binary.BigEndian.AppendUint64(frame, uint64(claim))
	frame = append(frame, sptest.Payload(1024, 3)...)

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	if _, err := conn.Write(frame); err != nil {
		t.Fatalf("writing the frame: %v", err)
	}
	if hangUp {
		conn.Close()
	} else {
		conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		n, err := conn.Read(make([]byte, 1))
		var ne net.Error
		switch {
		case errors.As(err, &ne) && ne.Timeout():
			t.Fatalf("a frame claiming %d bytes, over the limit %d: the listener kept the connection open for 5 s, want it closed at once", claim, limit)
		case err == nil:
			t.Fatalf("a frame claiming %d bytes, over the limit %d: the listener sent %d bytes, want it to close the connection", claim, limit, n)
		}
	}
	w.wait(t, "the raw connection's pipe to close", func(_, _, removed int) bool { return removed == 1 })
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// testRefused dials, synchronously, an address nobody listens on.
func testRefused(t *testing.T, c Config) {
	if c.Refused == nil {
		t.Skip("Config.Refused is nil")
	}
	s := newSocket(t, pair.NewSocket)
	url := c.Refused(t)
	start := time.Now()
	err := s.Dial(url, c.dialOpts(t, sp.WithDialSync())...)
	if !errors.Is(err, sp.ErrConnRefused) {
		t.Fatalf("Dial(%s) with DialSync, nobody listening: got error %v, want one wrapping sp.ErrConnRefused", url, err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("refused Dial took %v, want it prompt", d)
	}
	if !strings.Contains(err.Error(), url) {
		t.Errorf("refused Dial: error %q does not name the address %s", err, url)
	}
}
