package interop_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/interop"
	"github.com/spgo/sp/protocol/respondent"
	"github.com/spgo/sp/protocol/surveyor"
)

// TestSurvey: sp surveyor <-> C respondent, and C surveyor <-> sp respondent.
// The survey is p, the answer answer(p) (for the short payload, a body that
// starts with 0xff, so a peer that took body bytes for backtrace would show).
func TestSurvey(t *testing.T) {
	forEach(t, tools, []string{"sp-surveyor", "sp-respondent"}, func(t *testing.T, tl tool, tr transport, role string, spListens bool, p payload) {
		survey, reply := p.b, answer(p)
		if role == "sp-surveyor" {
			s := newSocket(t, surveyor.NewSocket)
			require.NoError(t, sp.SetOption(s, surveyor.SurveyTime, timeout))
			up := pipeUp(s)
			// A C respondent answers every survey with its --file. Two
			// surveys: the C respondent must print exactly both, in order.
			second := rotate(survey)
			args := append([]string{tl.proto("respondent"), "--raw", "--file", writeFile(t, reply)}, tl.count(2)...)
			c := connect(t, s, tl, tr, spListens, args...)
			// A survey goes to the peers there are: wait for the C one.
			waitUp(t, up, c)
			// The second survey starts while the first still collects
			// answers: a context may do that, the socket itself refuses.
			sc, err := s.OpenContext()
			require.NoError(t, err)
			defer sc.Close()
			for _, q := range [][]byte{survey, second} {
				require.NoError(t, sc.Send(ctx(t), q))
				got, err := sc.Recv(ctx(t))
				require.NoError(t, err)
				requireBytes(t, reply, got, "sp surveyor received answer")
			}
			waitExact(t, c, tl, append(slices.Clone(survey), second...), tl.nng)
			return
		}
		s := newSocket(t, respondent.NewSocket)
		c := connect(t, s, tl, tr, spListens, repeatedSurveyArgs(t, tl, survey)...)
		answerUntilPrinted(t, s, c, survey, reply)
		// What it printed is whole answers only; it goes on surveying (the
		// cleanup kills it: its exit is checked in TestSurveyRawHeaders).
		waitCopies(t, c, reply)
	})
}

// repeatedSurveyArgs returns the flags of a C surveyor that sends survey
// again and again and prints the answers raw: a survey sent before the sp
// respondent is connected is lost (how long that takes depends on the load
// of the machine, not on a --delay). nngcat surveys 15 times, 1 s apart,
// nanocat every 0.5 s until killed: enough for answerUntilPrinted's wait.
func repeatedSurveyArgs(t *testing.T, tl tool, survey []byte) []string {
	args := []string{tl.proto("surveyor"), "--raw", "--file", writeFile(t, survey)}
	if tl.nng {
		return append(args, "--interval", "1", "--count", "15")
	}
	return append(args, "--interval", "0.5")
}

// answerUntilPrinted answers each survey the sp respondent s receives with
// reply, until the C surveyor c has printed it: an answer that comes after
// the surveyor moved on to its next survey is dropped, so answer that one
// too. It waits up to 3×timeout in all: on a loaded machine the C tool can
// take seconds to start, and the surveys it sends before the connection
// are lost.
func answerUntilPrinted(t *testing.T, s sp.Socket, c *interop.Proc, survey, reply []byte) {
	t.Helper()
	deadline := time.Now().Add(3 * timeout)
	for answers := 1; ; answers++ {
		rctx, cancel := context.WithDeadline(context.Background(), deadline)
		got, err := s.Recv(rctx)
		cancel()
		require.NoError(t, err, "sp respondent: no survey (%d answered)", answers-1)
		requireBytes(t, survey, got, "sp respondent received survey")
		require.NoError(t, s.Send(ctx(t), reply))
		wait := time.Now().Add(time.Second)
		for time.Now().Before(wait) {
			if bytes.Contains(c.Stdout(), reply) {
				if answers > 1 {
					t.Logf("needed %d answers", answers)
				}
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
		if time.Now().After(deadline) {
			t.Fatalf("the C surveyor printed no answer within %v (%d answers sent); printed %d bytes",
				3*timeout, answers, len(c.Stdout()))
		}
	}
}

// TestSurveyRawHeaders checks the survey id on the wire with raw sp sockets:
// a C surveyor's id has the top bit set and is the whole backtrace; a C
// respondent sends back exactly the id it was given.
func TestSurveyRawHeaders(t *testing.T) {
	for _, tl := range tools {
		t.Run(tl.name, func(t *testing.T) {
			tr := transports[0] // tcp
			t.Run("sp-raw-respondent", func(t *testing.T) {
				t.Parallel()
				s := newSocket(t, respondent.NewRawSocket)
				c := connect(t, s, tl, tr, true, surveyorArgs(t, tl, true, []byte("raw?"))...)
				m, err := s.RecvMsg(ctx(t))
				require.NoError(t, err)
				require.Equal(t, "raw?", string(m.Body))
				require.Len(t, m.Header, 8, "header: our pipe id, then the survey id")
				id := binary.BigEndian.Uint32(m.Header[4:])
				require.NotZero(t, id&0x80000000, "survey id %#x: top bit clear", id)
				t.Logf("%s survey id %#08x", tl.name, id)
				m.Body = append(m.Body[:0], "raw!"...)
				require.NoError(t, s.SendMsg(ctx(t), m))
				waitExact(t, c, tl, []byte("raw!"), true)
			})
			t.Run("sp-raw-surveyor", func(t *testing.T) {
				t.Parallel()
				s := newSocket(t, surveyor.NewRawSocket)
				up := pipeUp(s)
				args := append([]string{tl.proto("respondent"), "--raw", "--data", "yes"}, tl.count(2)...)
				c := connect(t, s, tl, tr, true, args...)
				waitUp(t, up, c)
				for _, id := range []uint32{0x80000000, 0xfedcba98} {
					m := sp.NewMessage(0)
					m.Header = binary.BigEndian.AppendUint32(m.Header, id)
					m.Body = append(m.Body, "ok?"...)
					require.NoError(t, s.SendMsg(ctx(t), m))
					a, err := s.RecvMsg(ctx(t))
					require.NoError(t, err)
					require.Equal(t, "yes", string(a.Body))
					require.Equal(t, binary.BigEndian.AppendUint32(nil, id), a.Header, "answer header: the survey id sent")
				}
			})
		})
	}
}

// TestSurveyFanOut: one survey reaches several peers at once. An sp
// surveyor asks every nngcat version and a nanocat respondent together (the
// ones build.sh makes only when they are there, unless SP_INTEROP=require),
// and an nngcat surveyor (each version) asks two sp respondents, one over tcp
// and one over ipc.
func TestSurveyFanOut(t *testing.T) {
	t.Run("sp-surveyor", func(t *testing.T) {
		t.Parallel()
		// The tools on PATH always take part (skip or fail without them);
		// the ones build.sh makes join when they are there, and must be
		// under SP_INTEROP=require.
		var use []tool
		var want []string
		for _, tl := range tools {
			if _, err := tl.peer.Lookup(); err != nil && tl.peer.Env != "" && os.Getenv("SP_INTEROP") != "require" {
				t.Logf("without %s: %v", tl.name, err)
				continue
			}
			tl.path(t) // skip (or fail) before starting any
			use = append(use, tl)
			want = append(want, "from "+tl.name)
		}
		s := newSocket(t, surveyor.NewSocket)
		require.NoError(t, sp.SetOption(s, surveyor.SurveyTime, timeout))
		var procs []*interop.Proc
		for _, tl := range use {
			up := pipeUp(s)
			url := listen(t, s, transports[0])
			args := append(tl.addr(false, url), tl.proto("respondent"), "--quoted", "--data", "from "+tl.name)
			procs = append(procs, tl.start(t, args...))
			waitUp(t, up, procs[len(procs)-1])
		}
		require.NoError(t, s.Send(ctx(t), []byte("all?")))
		var got []string
		for range use {
			b, err := s.Recv(ctx(t))
			require.NoError(t, err, "answers so far: %q", got)
			got = append(got, string(b))
		}
		slices.Sort(got)
		slices.Sort(want)
		require.Equal(t, want, got)
		for i, tl := range use {
			procs[i].WaitStdout(t, []byte("\"all?\"\n"), timeout)
			require.Equal(t, "\"all?\"\n", string(procs[i].Stdout()), "%s printed", tl.name)
		}
	})
	for _, nng := range nngcats {
		t.Run(nng.name+"/sp-respondents", func(t *testing.T) {
			t.Parallel()
			surveyFanOutToSP(t, nng)
		})
	}
}

// surveyFanOutToSP: an nngcat surveyor asks an sp respondent over each
// transport at once.
func surveyFanOutToSP(t *testing.T, nng tool) {
	// nngcat listens on both addresses and surveys after 1 s, by
	// which time both sp respondents, dialing in the background, are
	// connected.
	args := []string{nng.proto("surveyor"), "--quoted", "--data", "all?", "--delay", "1"}
	urls := make([]string, len(transports))
	for i, tr := range transports {
		urls[i] = tr.free(t)
		args = append(args, "--listen", urls[i])
	}
	c := nng.start(t, args...)
	rs := make([]sp.Socket, len(urls))
	for i, url := range urls {
		rs[i] = newSocket(t, respondent.NewSocket)
		dial(t, rs[i], url)
	}
	for i, r := range rs {
		q, err := r.Recv(ctx(t))
		require.NoError(t, err, "respondent over %s", transports[i].name)
		require.Equal(t, "all?", string(q))
		require.NoError(t, r.Send(ctx(t), []byte(transports[i].name)))
	}
	require.NoError(t, c.Wait(timeout))
	lines := strings.Split(strings.TrimSuffix(string(c.Stdout()), "\n"), "\n")
	slices.Sort(lines)
	require.Equal(t, []string{`"ipc"`, `"tcp"`}, lines, "nngcat printed")
}

// surveyorArgs returns the flags of a C surveyor that sends survey once and
// prints the answers raw. It surveys at once, to the peers it has then, so it
// waits unless it is an nngcat that dials (synchronously): nngcat takes
// whole seconds, nanocat fractions.
func surveyorArgs(t *testing.T, tl tool, spListens bool, survey []byte) []string {
	args := []string{tl.proto("surveyor"), "--raw", "--file", writeFile(t, survey)}
	switch {
	case tl.nng && !spListens:
		args = append(args, "--delay", "1")
	case !tl.nng:
		args = append(args, "--delay", "0.5")
	}
	return args
}

// pipeUp sets a pipe hook on s whose channel receives when a pipe joins.
func pipeUp(s sp.Socket) <-chan struct{} {
	up := make(chan struct{}, 1)
	s.SetPipeHook(func(ev sp.PipeEvent, _ sp.Pipe) bool {
		if ev == sp.PipeAdded {
			select {
			case up <- struct{}{}:
			default:
			}
		}
		return true
	})
	return up
}

// waitUp waits for a pipe to join, failing with what the C peer printed.
func waitUp(t *testing.T, up <-chan struct{}, c *interop.Proc) {
	t.Helper()
	select {
	case <-up:
	case <-time.After(timeout):
		t.Fatalf("no connection with the C peer within %v (stderr: %q)", timeout, c.Stderr())
	}
}
