package transporttest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/spgo/sp"
	"github.com/spgo/sp/protocol/bus"
	"github.com/spgo/sp/protocol/pair"
	"github.com/spgo/sp/protocol/push"
)

// testWrongProtocol dials a pair listener from a push socket: the
// transport must report the peer's protocol so that the dial fails.
func testWrongProtocol(t *testing.T, c Config) {
	l, d := newSocket(t, pair.NewSocket), newSocket(t, push.NewSocket)
	w := watch(l)
	_, url := listen(t, c, l, c.Addr(t))
	err := d.Dial(url, c.dialOpts(t, sp.WithDialSync())...)
	if !errors.Is(err, sp.ErrBadProtocol) {
		t.Fatalf("push Dial(%s) to a pair listener: got error %v, want one wrapping sp.ErrBadProtocol", url, err)
	}
	time.Sleep(20 * time.Millisecond) // let the listener's side judge too
	w.wait(t, "no pipe on the listener", func(live, _, _ int) bool { return live == 0 })
}

// testCloseUnblocksRecv closes sockets whose Recv is blocked in another
// goroutine, with a live pipe between them.
func testCloseUnblocksRecv(t *testing.T, c Config) {
	a, b := newSocket(t, pair.NewSocket), newSocket(t, pair.NewSocket)
	_, url := listen(t, c, b, c.Addr(t))
	dial(t, c, a, url, true)
	for _, s := range []struct {
		name string
		sock sp.Socket
	}{{"dialer", a}, {"listener", b}} {
		errc := make(chan error, 1)
		go func() {
			_, err := s.sock.Recv(context.Background())
			errc <- err
		}()
		time.Sleep(20 * time.Millisecond) // let Recv block
		start := time.Now()
		if err := s.sock.Close(); err != nil {
			t.Errorf("%s Close: %v", s.name, err)
		}
		select {
		case err := <-errc:
			if !errors.Is(err, sp.ErrClosed) {
				t.Errorf("%s Recv blocked during Close: got error %v, want sp.ErrClosed", s.name, err)
			}
		case <-time.After(2 * time.Second):
			t.Fatalf("%s Recv still blocked 2 s after Close", s.name)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("%s: Close and the blocked Recv took %v, want it prompt", s.name, d)
		}
	}
}

// testPeerClose checks that each side notices its peer going away: the
// pipe is removed when the other end closes.
func testPeerClose(t *testing.T, c Config) {
	for _, closer := range []string{"dialer", "listener"} {
		t.Run("Close"+strings.ToUpper(closer[:1])+closer[1:], func(t *testing.T) {
			a, b := newSocket(t, pair.NewSocket), newSocket(t, pair.NewSocket)
			wa, wb := watch(a), watch(b)
			_, url := listen(t, c, b, c.Addr(t))
			dial(t, c, a, url, true)
			wb.wait(t, "the listener's pipe", func(live, _, _ int) bool { return live == 1 })
			other, w := b, wb
			if closer == "dialer" {
				a.Close()
			} else {
				b.Close()
				other, w = a, wa
			}
			w.wait(t, "the pipe to close after its peer closed", func(_, _, removed int) bool { return removed >= 1 })
			other.Close()
		})
	}
}

// testRestart closes a listening socket, listens again on the same
// address with a new one, and checks that the dialer reconnects to it; then
// closes only the listener and listens again from the same socket.
func testRestart(t *testing.T, c Config) {
	ctx := testCtx(t)
	d, l1 := newSocket(t, pair.NewSocket), newSocket(t, pair.NewSocket)
	wd := watch(d)
	_, url := listen(t, c, l1, c.Addr(t))
	dial(t, c, d, url, false)
	exchange(t, ctx, d, l1, "before restart")

	if err := l1.Close(); err != nil {
		t.Fatalf("closing the first listening socket: %v", err)
	}
	wd.wait(t, "the dialer to lose its pipe", func(_, _, removed int) bool { return removed >= 1 })

	l2 := newSocket(t, pair.NewSocket)
	ln, _ := listen(t, c, l2, url)
	wd.wait(t, "the dialer to reconnect", func(live, added, _ int) bool { return live == 1 && added >= 2 })
	exchange(t, ctx, d, l2, "after restart")

	// Again, closing only the listener and listening anew on the same
	// socket.
	if err := ln.Close(); err != nil {
		t.Fatalf("closing the second listener: %v", err)
	}
	wd.wait(t, "the dialer to lose its second pipe", func(_, _, removed int) bool { return removed >= 2 })
	listen(t, c, l2, url)
	wd.wait(t, "the dialer to reconnect again", func(live, added, _ int) bool { return live == 1 && added >= 3 })
	exchange(t, ctx, d, l2, "after the listener's restart")
}

// exchange sends a message from a to b and one back, checking both.
func exchange(t testing.TB, ctx context.Context, a, b sp.Socket, what string) {
	t.Helper()
	for i, d := range [][2]sp.Socket{{a, b}, {b, a}} {
		want := fmt.Sprintf("%s #%d", what, i)
		send(t, ctx, d[0], []byte(want))
		m := recvMsg(t, ctx, d[1])
		if got := string(m.Body); got != want {
			t.Fatalf("%s: got %q, want %q", what, got, want)
		}
		m.Free()
	}
}

// testManyPipes connects 50 dialers to one listener; each sends to the
// listener and receives from it.
func testManyPipes(t *testing.T, c Config) {
	const n = 50
	ctx := testCtx(t)
	l := newSocket(t, bus.NewSocket)
	w := watch(l)
	_, url := listen(t, c, l, c.Addr(t))
	ds := make([]sp.Socket, n)
	for i := range ds {
		ds[i] = newSocket(t, bus.NewSocket)
		dial(t, c, ds[i], url, true)
	}
	w.wait(t, fmt.Sprintf("%d pipes on the listener", n), func(live, _, _ int) bool { return live == n })

	for i, d := range ds {
		send(t, ctx, d, []byte(fmt.Sprint(i)))
	}
	seen := make(map[string]bool)
	for range n {
		m := recvMsg(t, ctx, l)
		if seen[string(m.Body)] {
			t.Fatalf("listener received %q twice", m.Body)
		}
		seen[string(m.Body)] = true
		m.Free()
	}
	for i := range n {
		if !seen[fmt.Sprint(i)] {
			t.Errorf("listener did not receive dialer %d's message", i)
		}
	}

	send(t, ctx, l, []byte("to all"))
	for i, d := range ds {
		if m := recvMsg(t, ctx, d); string(m.Body) != "to all" {
			t.Fatalf("dialer %d: got %q, want %q", i, m.Body, "to all")
		}
	}
}

// testAddrInUse listens twice on one address, from another socket and
// from the same one: both must fail with sp.ErrAddrInUse and leave the
// first listener serving.
func testAddrInUse(t *testing.T, c Config) {
	ctx := testCtx(t)
	l1 := newSocket(t, pair.NewSocket)
	_, url := listen(t, c, l1, c.Addr(t))
	for _, s := range []struct {
		name string
		sock sp.Socket
	}{{"another socket", newSocket(t, pair.NewSocket)}, {"the same socket", l1}} {
		_, err := s.sock.Listen(url, c.listenOpts(t)...)
		if !errors.Is(err, sp.ErrAddrInUse) {
			t.Errorf("second Listen(%s) from %s: got error %v, want one wrapping sp.ErrAddrInUse", url, s.name, err)
		} else if !strings.Contains(err.Error(), url) {
			t.Errorf("second Listen from %s: error %q does not name the address %s", s.name, err, url)
		}
	}
	d := newSocket(t, pair.NewSocket)
	dial(t, c, d, url, true)
	exchange(t, ctx, d, l1, "first listener after a refused second one")
}

// testBadURLs checks that bad addresses fail at once with sp.ErrBadURL and
// an error that names the address and the problem.
func testBadURLs(t *testing.T, c Config) {
	s := newSocket(t, pair.NewSocket)
	scheme, _, _ := strings.Cut(c.Addr(t), "://")
	bad := append([]BadURL{{URL: scheme + "://"}}, c.BadURLs...)
	for _, b := range bad {
		check := func(op string, err error) {
			t.Helper()
			switch {
			case err == nil:
				t.Errorf("%s(%q): got no error, want one wrapping sp.ErrBadURL", op, b.URL)
			case !errors.Is(err, sp.ErrBadURL):
				t.Errorf("%s(%q): got error %v, want one wrapping sp.ErrBadURL", op, b.URL, err)
			case !strings.Contains(err.Error(), b.URL):
				t.Errorf("%s(%q): error %q does not name the address", op, b.URL, err)
			case !strings.Contains(err.Error(), b.Reason):
				t.Errorf("%s(%q): error %q does not say %q", op, b.URL, err, b.Reason)
			}
		}
		d, err := s.NewDialer(b.URL, c.dialOpts(t)...)
		if d != nil {
			d.Close()
		}
		check("NewDialer", err)
		if b.DialOnly {
			continue
		}
		l, err := s.NewListener(b.URL, c.listenOpts(t)...)
		if l != nil {
			l.Close()
		}
		check("NewListener", err)
	}
}
