package interop_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/spgo/sp"
	"github.com/spgo/sp/protocol/pub"
	"github.com/spgo/sp/protocol/sub"
)

// TestPubSub: sp pub -> C sub, and C pub -> sp sub.
//
// A pub sends only to subscribers already connected, so each side waits for
// the connection: the sp pub for its pipe to be added (then it sends, and
// again only if nothing arrives for a while), a C pub by repeating its message
// (--interval).
func TestPubSub(t *testing.T) {
	forEach(t, tools, []string{"sp-pub", "sp-sub"}, func(t *testing.T, tl tool, tr transport, role string, spListens bool, p payload) {
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
				// nngcat subscribes to everything without --subscribe
				// too; say it, to be independent of that default.
				args = append(args, "--subscribe", "", "--count", "1")
			}
			c := connect(t, s, tl, tr, spListens, args...)
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
		if tl.nng {
			// Whole seconds only. The first send, at once, is lost when
			// the sp sub has not connected yet; the next comes 1 s later.
			args = append(args, "--interval", "1")
		} else {
			args = append(args, "--interval", "0.05")
		}
		connect(t, s, tl, tr, spListens, args...)
		n := 1
		if !tl.nng {
			n = 3 // repeats come fast: check that framing holds across messages
		}
		for range n {
			got, err := s.Recv(ctx(t))
			require.NoError(t, err)
			requireBytes(t, p.b, got, "sp sub received")
		}
	})
}

// waitCopies waits until the C sub c has printed whole copies of b and
// nothing else (several if publish had to repeat itself), else fails.
func waitCopies(t *testing.T, c interface{ Stdout() []byte }, b []byte) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		out := c.Stdout()
		if len(out)%len(b) == 0 && bytes.Equal(out, bytes.Repeat(b, len(out)/len(b))) {
			return
		}
		if time.Now().After(deadline) {
			requireBytes(t, b, out, "sub printed")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// publish sends b on s until the C sub c has printed it. The subscriber's
// pipe is up, so one send normally does; a repeat guards against a C sub
// that attaches its side of the pipe a moment later.
func publish(t *testing.T, s sp.Socket, c interface{ Stdout() []byte }, b []byte) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for sends := 1; ; sends++ {
		require.NoError(t, s.Send(ctx(t), b))
		wait := time.Now().Add(500 * time.Millisecond)
		for time.Now().Before(wait) {
			if bytes.Contains(c.Stdout(), b) {
				if sends > 1 {
					t.Logf("needed %d sends", sends)
				}
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
		if time.Now().After(deadline) {
			t.Fatalf("sub did not print the message within %v (%d sends); printed %d bytes",
				timeout, sends, len(c.Stdout()))
		}
	}
}
