package interop_test

import (
	"errors"
	"fmt"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/interop"
	"github.com/spgo/sp/protocol/pub"
	"github.com/spgo/sp/protocol/rep"
	"github.com/spgo/sp/protocol/req"
	"github.com/spgo/sp/protocol/sub"
)

// The ws tests: req/rep and pub/sub against every nngcat and nanocat over
// ws://, req/rep against macat too, with sp listening and with sp dialing,
// for both payloads (the 64 KiB one is larger than one 64 KiB frame with its
// header, so it spans frames both ways).
//
// What the C peers do, as checked here: both send binary messages (sp refuses
// text) and accept ours, one SP message per WebSocket message; both ask for,
// and require, the subprotocol <listener's protocol>.sp.nanomsg.org, and
// answer HTTP 400 to a client asking for another (or none). nanocat 1.1.5
// cannot listen on a URL with a path ("Can't bind: Invalid argument", even
// for "/"): it binds ws://host:port and then serves every path; it dials
// URLs with paths fine.

// wsForEach runs fn as a parallel subtest per tool of tls, sp role,
// direction of connection and payload.
func wsForEach(t *testing.T, tls []tool, roles []string, fn func(t *testing.T, tl tool, role string, spListens bool, p payload)) {
	for _, tl := range tls {
		for _, role := range roles {
			for _, spListens := range []bool{true, false} {
				for _, p := range payloads {
					verb := "dials"
					if spListens {
						verb = "listens"
					}
					t.Run(fmt.Sprintf("%s/ws/%s-%s/%s", tl.name, role, verb, p.name), func(t *testing.T) {
						t.Parallel()
						tl.path(t)
						fn(t, tl, role, spListens, p)
					})
				}
			}
		}
	}
}

// wsConnect connects s and a C tool taking toolArgs over ws://: with
// spListens, s listens (on a path) and the tool dials; otherwise the tool
// listens (nanocat without a path) and s dials, retrying until it is up.
func wsConnect(t *testing.T, s sp.Socket, tl tool, spListens bool, toolArgs ...string) *interop.Proc {
	t.Helper()
	if spListens {
		l, err := s.NewListener("ws://127.0.0.1:0/sp/ws")
		require.NoError(t, err)
		require.NoError(t, l.Listen())
		url := fmt.Sprintf("ws://127.0.0.1:%d/sp/ws", l.Addr().(*net.TCPAddr).Port)
		return tl.start(t, append(tl.addr(false, url), toolArgs...)...)
	}
	url := fmt.Sprintf("ws://127.0.0.1:%d", interop.FreeTCPPort(t))
	if tl.nng || tl.ma {
		url += "/c/ws"
	}
	p := tl.start(t, append(tl.addr(true, url), toolArgs...)...)
	dial(t, s, url)
	return p
}

// TestWSReqRep: sp req <-> C rep and C req <-> sp rep over ws, against every
// nngcat, nanocat and macat.
func TestWSReqRep(t *testing.T) {
	wsForEach(t, append(slices.Clone(tools), macat), []string{"sp-req", "sp-rep"}, func(t *testing.T, tl tool, role string, spListens bool, p payload) {
		request, reply := p.b, answer(p)
		if role == "sp-req" {
			s := newSocket(t, req.NewSocket)
			args := append([]string{tl.proto("rep"), "--raw", "--file", writeFile(t, reply)}, tl.count(2)...)
			c := wsConnect(t, s, tl, spListens, args...)
			second := rotate(request)
			for i, q := range [][]byte{request, second} {
				require.NoError(t, s.Send(ctx(t), q))
				got, err := s.Recv(ctx(t))
				if err != nil {
					t.Fatalf("sp req: no reply to request %d: %v; the %s rep received %s",
						i+1, err, tl.name, splitRequests(c.Stdout(), request, second))
				}
				requireBytes(t, reply, got, "sp req received reply")
			}
			waitExact(t, c, tl, append(append([]byte{}, request...), second...), tl.nng)
			return
		}
		s := newSocket(t, rep.NewSocket)
		c := wsConnect(t, s, tl, spListens, tl.proto("req"), "--raw", "--file", writeFile(t, request))
		got, err := s.Recv(ctx(t))
		require.NoError(t, err)
		requireBytes(t, request, got, "sp rep received request")
		require.NoError(t, s.Send(ctx(t), reply))
		waitExact(t, c, tl, reply, true)
	})
}

// TestWSPubSub: sp pub -> C sub and C pub -> sp sub over ws.
func TestWSPubSub(t *testing.T) {
	wsForEach(t, tools, []string{"sp-pub", "sp-sub"}, func(t *testing.T, tl tool, role string, spListens bool, p payload) {
		if role == "sp-pub" {
			s := newSocket(t, pub.NewSocket)
			added := make(chan struct{}, 1)
			s.SetPipeHook(func(ev sp.PipeEvent, _ sp.Pipe) bool {
				if ev == sp.PipeAdded {
					select {
					case added <- struct{}{}:
					default:
					}
				}
				return true
			})
			args := []string{tl.proto("sub"), "--raw"}
			if tl.nng {
				args = append(args, "--subscribe", "", "--count", "1")
			}
			c := wsConnect(t, s, tl, spListens, args...)
			select {
			case <-added:
			case <-time.After(timeout):
				t.Fatalf("%s sub did not connect within %v", tl.name, timeout)
			}
			publish(t, s, c, p.b)
			if tl.nng {
				require.NoError(t, c.Wait(timeout))
			}
			waitCopies(t, c, p.b)
			return
		}
		s := newSocket(t, sub.NewSocket)
		require.NoError(t, sp.SetOption(s, sub.SubscribeOption, []byte{}))
		args := []string{tl.proto("pub"), "--file", writeFile(t, p.b)}
		n := 1
		if tl.nng {
			args = append(args, "--interval", "1")
		} else {
			args, n = append(args, "--interval", "0.05"), 3
		}
		wsConnect(t, s, tl, spListens, args...)
		for range n {
			got, err := s.Recv(ctx(t))
			require.NoError(t, err)
			requireBytes(t, p.b, got, "sp sub received")
		}
	})
}

// TestWSWrongProtocol: a C req dialing an sp pub listener over ws is refused
// in the upgrade (the C tool fails or keeps retrying; sp never gets a pipe),
// and an sp sub dialing a C rep listener fails with ErrBadProtocol.
func TestWSWrongProtocol(t *testing.T) {
	for _, tl := range tools {
		t.Run(tl.name, func(t *testing.T) {
			t.Parallel()
			tl.path(t)
			s := newSocket(t, sub.NewSocket)
			url := fmt.Sprintf("ws://127.0.0.1:%d", interop.FreeTCPPort(t))
			if tl.nng {
				url += "/rep"
			}
			tl.start(t, append(tl.addr(true, url), tl.proto("rep"), "--data", "x")...)
			var err error
			require.Eventually(t, func() bool {
				err = s.Dial(url, sp.WithDialSync())
				return !errorIsRefused(err)
			}, timeout, 20*time.Millisecond)
			require.ErrorIs(t, err, sp.ErrBadProtocol)
		})
	}
}

func errorIsRefused(err error) bool { return errors.Is(err, sp.ErrConnRefused) }
