package interop_test

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/spgo/sp/protocol/rep"
	"github.com/spgo/sp/protocol/req"
)

// TestReqRep: sp req <-> C rep, and C req <-> sp rep. The request is p, the
// reply answer(p) (for the short payload, a body that starts with 0xff, so a
// peer that took body bytes for backtrace would show).
func TestReqRep(t *testing.T) {
	forEach(t, append(slices.Clone(tools), macat), []string{"sp-req", "sp-rep"}, func(t *testing.T, tl tool, tr transport, role string, spListens bool, p payload) {
		request, reply := p.b, answer(p)
		if role == "sp-req" {
			s := newSocket(t, req.NewSocket)
			// A C rep answers every request with its --file. Two
			// requests, the first sent before there is any peer: the C rep
			// must print exactly both, once each, in order (a request sent
			// twice shows as a third, or pushes the second out).
			second := rotate(request)
			sent := make(chan error, 1)
			sendCtx := ctx(t)
			go func() { sent <- s.Send(sendCtx, request) }() // waits for a peer
			args := append([]string{tl.proto("rep"), "--raw", "--file", writeFile(t, reply)}, tl.count(2)...)
			c := connect(t, s, tl, tr, spListens, args...)
			for i, q := range [][]byte{request, second} {
				if i == 0 {
					require.NoError(t, <-sent)
				} else {
					require.NoError(t, s.Send(ctx(t), q))
				}
				got, err := s.Recv(ctx(t))
				if err != nil {
					t.Fatalf("sp req: no reply to request %d: %v; the %s rep received %s",
						i+1, err, tl.name, splitRequests(c.Stdout(), request, second))
				}
				requireBytes(t, reply, got, "sp req received reply")
			}
			both := append(slices.Clone(request), second...)
			c.WaitStdout(t, both, timeout)
			if out := c.Stdout(); !bytes.Equal(out, both) {
				t.Fatalf("the %s rep received %s, want [first second]", tl.name, splitRequests(out, request, second))
			}
			if tl.nng {
				require.NoError(t, c.Wait(timeout))
			}
			return
		}
		s := newSocket(t, rep.NewSocket)
		// A C req sends one request, prints the reply and exits.
		c := connect(t, s, tl, tr, spListens, tl.proto("req"), "--raw", "--file", writeFile(t, request))
		got, err := s.Recv(ctx(t))
		require.NoError(t, err)
		requireBytes(t, request, got, "sp rep received request")
		require.NoError(t, s.Send(ctx(t), reply))
		waitExact(t, c, tl, reply, true)
	})
}

// rotate returns b rotated left by one byte: another payload of the same
// length and kind.
func rotate(b []byte) []byte { return append(slices.Clone(b[1:]), b[0]) }

// splitRequests describes out, what a C rep printed, as a sequence of the two
// requests, e.g. "[first first]" for a request received twice.
func splitRequests(out, first, second []byte) string {
	var seq []string
	for len(out) > 0 {
		switch {
		case bytes.HasPrefix(out, first):
			seq, out = append(seq, "first"), out[len(first):]
		case bytes.HasPrefix(out, second):
			seq, out = append(seq, "second"), out[len(second):]
		default:
			seq, out = append(seq, fmt.Sprintf("%d other bytes", len(out))), nil
		}
	}
	return "[" + strings.Join(seq, " ") + "]"
}
