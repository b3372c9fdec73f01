package hostile_test

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/spgo/sp"
	"github.com/stretchr/testify/require"
)

// attack is one hostile peer's behaviour. run makes its own checks: the
// connection is closed (or served), and the listener's statistics counted it.
type attack struct {
	name string
	// only: the attack applies to this protocol and transport.
	only func(p proto, tr string) bool
	run  func(t *testing.T, s *setup, st0 sp.SocketStats)
}

func spOnly(_ proto, tr string) bool    { return tr != "ws" }
func wsOnly(_ proto, tr string) bool    { return tr == "ws" }
func backtraced(p proto, _ string) bool { return p.backtrace }
func hopped(p proto, _ string) bool     { return p.hop }

// handshakeFailed waits for one more handshake failure (tcp, ipc: ws
// handshakes are HTTP's, see TestWSHandshakeStats).
func handshakeFailed(t *testing.T, s *setup, st0 sp.SocketStats) {
	if s.tr != "ws" {
		s.waitStats(t, "a handshake failure", func(st sp.SocketStats) bool {
			return st.HandshakeFailures > st0.HandshakeFailures
		})
	}
}

func rejected(t *testing.T, s *setup, st0 sp.SocketStats) {
	s.waitStats(t, "a rejected peer", func(st sp.SocketStats) bool { return st.Rejected > st0.Rejected })
}

// dropped waits for the drop counter get selects to grow; a monogamous
// listener rejects the hostile peer before it reads a frame.
func dropped(t *testing.T, s *setup, st0 sp.SocketStats, what string, get func(sp.Drops) uint64) {
	if s.p.mono {
		rejected(t, s, st0)
		return
	}
	s.waitStats(t, what, func(st sp.SocketStats) bool { return get(st.Drops) > get(st0.Drops) })
}

func tooLarge(d sp.Drops) uint64  { return d.TooLarge }
func malformed(d sp.Drops) uint64 { return d.Malformed }

// closedWith sends the parts on a connection past the handshake and
// expects the listener to close it, counting a drop.
func closedWith(what string, get func(sp.Drops) uint64, parts func(s *setup) [][]byte) func(*testing.T, *setup, sp.SocketStats) {
	return func(t *testing.T, s *setup, st0 sp.SocketStats) {
		c := s.openSP(t)
		s.writeRefused(t, c, parts(s)...)
		expectClosed(t, c, 5*time.Second)
		dropped(t, s, st0, what, get)
	}
}

var attacks = []attack{
	{name: "garbage-handshake", run: func(t *testing.T, s *setup, st0 sp.SocketStats) {
		c := s.dialRaw(t)
		write(t, c, []byte("\x00SQ\x07 GARBAGE \xff\xfe\r\n\r\n"))
		expectClosed(t, c, 5*time.Second)
		handshakeFailed(t, s, st0)
	}},
	{name: "wrong-protocol", run: func(t *testing.T, s *setup, st0 sp.SocketStats) {
		if s.tr == "ws" {
			_, resp, err := s.wsDial(t, s.p.name+"x.sp.nanomsg.org")
			require.Error(t, err)
			require.NotNil(t, resp)
			require.Equal(t, http.StatusBadRequest, resp.StatusCode)
			return
		}
		c := s.dialRaw(t)
		write(t, c, handshake(s.p.wrongID()))
		expectClosed(t, c, 5*time.Second)
		rejected(t, s, st0)
	}},
	{name: "unknown-protocol", only: spOnly, run: func(t *testing.T, s *setup, st0 sp.SocketStats) {
		c := s.dialRaw(t)
		write(t, c, handshake(0x0ffe))
		expectClosed(t, c, 5*time.Second)
		rejected(t, s, st0)
	}},
	{name: "nonzero-version", only: spOnly, run: func(t *testing.T, s *setup, st0 sp.SocketStats) {
		c := s.dialRaw(t)
		h := handshake(s.p.peer)
		h[3] = 1
		write(t, c, h)
		expectClosed(t, c, 5*time.Second)
		handshakeFailed(t, s, st0)
	}},
	{name: "nonzero-reserved", only: spOnly, run: func(t *testing.T, s *setup, st0 sp.SocketStats) {
		c := s.dialRaw(t)
		h := handshake(s.p.peer)
		h[7] = 0x40
		write(t, c, h)
		expectClosed(t, c, 5*time.Second)
		handshakeFailed(t, s, st0)
	}},
	{name: "text-message", only: wsOnly, run: func(t *testing.T, s *setup, st0 sp.SocketStats) {
		c := s.openSP(t)
		write(t, c, wsTextFrame("SP messages are binary"))
		expectClosed(t, c, 5*time.Second)
		// Not always counted as malformed: see TestWSTextMessageCounted.
		s.waitStats(t, "the pipe gone", func(st sp.SocketStats) bool {
			return st.Disconnects > st0.Disconnects || st.Rejected > st0.Rejected
		})
	}},
	{name: "length-2^63", run: closedWith("a too-large drop", tooLarge, func(s *setup) [][]byte {
		return [][]byte{s.claim(1 << 63), []byte("tiny")}
	})},
	{name: "length-limit+1", run: closedWith("a too-large drop", tooLarge, func(s *setup) [][]byte {
		return [][]byte{s.claim(maxSize + 1)} // before any byte of the body
	})},
	{name: "no-handshake", run: func(t *testing.T, s *setup, st0 sp.SocketStats) {
		c := s.dialRaw(t)
		took := expectClosed(t, c, 5*time.Second)
		require.GreaterOrEqual(t, took, hsTimeout*9/10, "a silent peer was dropped before the handshake timeout")
		handshakeFailed(t, s, st0)
	}},
	{name: "byte-at-a-time", run: func(t *testing.T, s *setup, st0 sp.SocketStats) {
		var all []byte
		var c net.Conn
		if s.tr == "ws" {
			ws, _, err := s.wsDial(t, s.p.name+".sp.nanomsg.org")
			require.NoError(t, err)
			c = ws.NetConn()
		} else {
			c, all = s.dialRaw(t), handshake(s.p.peer)
		}
		all = append(all, s.frame(s.p.frame("slow but valid"))...)
		for _, b := range all {
			if _, err := c.Write([]byte{b}); err != nil {
				require.True(t, s.p.mono, "write: %v", err) // pair refuses it
				break
			}
		}
		if s.p.mono {
			rejected(t, s, st0)
			return
		}
		s.waitStats(t, "the slow frame received", func(st sp.SocketStats) bool {
			for _, ps := range st.PipeList {
				if ps.ID != s.goodPipe.Load() && ps.MsgsRecv == 1 {
					return true
				}
			}
			return false
		})
		c.Close()
		s.waitLive(t, 1)
	}},
	{name: "close-mid-frame", run: func(t *testing.T, s *setup, st0 sp.SocketStats) {
		c := s.openSP(t)
		s.writeRefused(t, c, s.claim(100), []byte("only ten b"))
		if !s.p.mono {
			s.waitStats(t, "the hostile pipe", func(st sp.SocketStats) bool { return st.Connects > st0.Connects })
		}
		c.Close()
		st := s.waitStats(t, "the hostile pipe gone", func(st sp.SocketStats) bool {
			// pair refuses it, or fails its handshake if it closes first
			return st.Disconnects > st0.Disconnects || st.Rejected > st0.Rejected ||
				st.HandshakeFailures > st0.HandshakeFailures
		})
		require.Equal(t, st0.Drops.Malformed, st.Drops.Malformed)
		require.Equal(t, st0.Drops.TooLarge, st.Drops.TooLarge)
	}},
	{name: "backtrace-never-ends", only: backtraced, run: closedWith("a malformed drop", malformed, func(s *setup) [][]byte {
		bt := []byte{0, 0, 0, 1, 0, 0, 0, 2, 0x7f, 0xff, 0xff, 0xff} // no top bit, ever
		if s.p.name == "req" || s.p.name == "surveyor" {
			bt = []byte{0x80, 0, 1} // a cooked req/surveyor reads one id word: cut it short
		}
		return [][]byte{s.frame(bt)}
	})},
	{name: "hop-over-0xff", only: hopped, run: closedWith("a malformed drop", malformed, func(s *setup) [][]byte {
		return [][]byte{s.frame([]byte{0, 0, 1, 0, 'h', 'i'})}
	})},
}

// TestHostile runs every attack against a listening socket of every
// protocol on every transport, while a good peer is served in parallel.
func TestHostile(t *testing.T) {
	for _, p := range protocols {
		t.Run(p.name, func(t *testing.T) {
			for _, tr := range transports {
				t.Run(tr, func(t *testing.T) {
					t.Parallel()
					s := newSetup(t, p, tr)
					for _, a := range attacks {
						if a.only != nil && !a.only(p, tr) {
							continue
						}
						t.Run(a.name, func(t *testing.T) {
							a.run(t, s, s.lis.Stats())
							s.waitLive(t, 1) // the hostile peer is gone
							s.waitRounds(t, 2)
						})
					}
					s.finish(t)
				})
			}
		})
	}
}

// TestWSHandshakeStats: a ws listener counts the upgrades it turns down,
// as the SP listeners count failed handshakes and rejected peers: a client
// asking for the wrong subprotocol is Rejected, and a WebSocket upgrade
// request that breaks the WebSocket rules (no Sec-WebSocket-Key) is a
// HandshakeFailure. Requests that are not HTTP at all, and clients that
// never finish their request, are refused by net/http before any socket is
// known (ws's doc says so), so they are not counted.
func TestWSHandshakeStats(t *testing.T) {
	s := newSetup(t, protocols[0], "ws")
	st0 := s.lis.Stats()
	_, resp, err := s.wsDial(t, "nonsense.sp.nanomsg.org")
	require.Error(t, err)
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)

	u, err := url.Parse(s.addr)
	require.NoError(t, err)
	c := s.dialRaw(t)
	write(t, c, []byte("GET "+u.Path+" HTTP/1.1\r\nHost: "+u.Host+"\r\nUpgrade: websocket\r\n"+
		"Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"+
		"Sec-WebSocket-Protocol: "+s.p.name+".sp.nanomsg.org\r\n\r\n"))
	require.NoError(t, c.SetReadDeadline(time.Now().Add(5*time.Second)))
	status, err := bufio.NewReader(c).ReadString('\n')
	require.NoError(t, err)
	require.Contains(t, status, " 400 ", "got status line %q, want 400", status)

	st := s.waitStats(t, "the refused upgrades counted", func(st sp.SocketStats) bool {
		return st.Rejected > st0.Rejected && st.HandshakeFailures > st0.HandshakeFailures
	})
	s.finish(t)
	require.Equal(t, st0.Rejected+1, st.Rejected, "a ws client asking for the wrong subprotocol")
	require.Equal(t, st0.HandshakeFailures+1, st.HandshakeFailures, "an upgrade request without a key")
}

// TestWSDropsCounted: a text message closes a ws pipe with sp.ErrMalformed
// and a message over the limit with sp.ErrTooLarge, which Stats counts in
// Drops, even when the socket is sending to that pipe (a star, a surveyor,
// a pub) and the pipe's writer fails first on the closing connection.
func TestWSDropsCounted(t *testing.T) {
	for _, tt := range []struct {
		name  string
		frame func(s *setup) []byte
		get   func(sp.Drops) uint64
	}{
		{"text-message", func(*setup) []byte { return wsTextFrame("SP messages are binary") }, malformed},
		{"length-limit+1", func(s *setup) []byte { return s.claim(maxSize + 1) }, tooLarge},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := newSetup(t, protocols[11], "ws") // star: sends go to every peer
			const tries = 40
			stop := make(chan struct{})
			done := make(chan struct{})
			go func() { // keep every pipe's writer busy
				defer close(done)
				for {
					select {
					case <-stop:
						return
					default:
						_ = s.lis.Send(context.Background(), []byte("noise"))
						time.Sleep(50 * time.Microsecond)
					}
				}
			}()
			defer func() { close(stop); <-done }()
			st0 := s.lis.Stats()
			for range tries {
				c := s.openSP(t)
				write(t, c, tt.frame(s))
				expectClosed(t, c, 5*time.Second)
				s.waitLive(t, 1)
			}
			st := s.lis.Stats()
			s.finish(t)
			require.Equal(t, tt.get(st0.Drops)+tries, tt.get(st.Drops), "drops counted, of %d", tries)
		})
	}
}
