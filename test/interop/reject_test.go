package interop_test

import (
	"fmt"
	"log/slog"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/spgo/sp"
	"github.com/spgo/sp/protocol/push"
	"github.com/spgo/sp/protocol/rep"
)

// peerLog records the peer protocol of every pipe that joins a socket.
type peerLog struct {
	mu    sync.Mutex
	peers []uint16
}

func watchPeers(s sp.Socket) *peerLog {
	pl := &peerLog{}
	s.SetPipeHook(func(ev sp.PipeEvent, p sp.Pipe) bool {
		if ev == sp.PipeAdded {
			pl.mu.Lock()
			pl.peers = append(pl.peers, p.PeerProtocol())
			pl.mu.Unlock()
		}
		return true
	})
	return pl
}

// requireOnly fails if a pipe with a peer protocol other than want joined.
func (pl *peerLog) requireOnly(t *testing.T, want uint16) {
	t.Helper()
	pl.mu.Lock()
	defer pl.mu.Unlock()
	for _, got := range pl.peers {
		if got != want {
			t.Errorf("a peer with protocol %#x joined; only %#x may (peers: %#x)", got, want, pl.peers)
			return
		}
	}
}

// TestRejectWrongPeer: a C peer of the wrong protocol is turned away, and the
// sp socket goes on to serve a good peer.
func TestRejectWrongPeer(t *testing.T) {
	for _, tl := range tools {
		for _, tr := range transports {
			t.Run(fmt.Sprintf("%s/%s/sp-rep-listens/bad-push", tl.name, tr.name), func(t *testing.T) {
				t.Parallel()
				rejectAtListener(t, tl, tr)
			})
			t.Run(fmt.Sprintf("%s/%s/sp-push-dials/bad-rep", tl.name, tr.name), func(t *testing.T) {
				t.Parallel()
				rejectAtDialer(t, tl, tr)
			})
		}
	}
}

// rejectAtListener: an sp rep listens; a C push dials it and keeps trying
// while a C req dials too and gets its answer.
func rejectAtListener(t *testing.T, tl tool, tr transport) {
	s := newSocket(t, rep.NewSocket)
	peers := watchPeers(s)
	sink := newLogSink(sp.ErrBadProtocol)
	require.NoError(t, sp.SetOption(s, sp.Logger, slog.New(sink)))
	url := listen(t, s, tr)

	bad := []string{tl.proto("push"), "--data", "wrong peer"}
	if tl.nng {
		bad = append(bad, "--async") // keep retrying, like nanocat does
	}
	tl.start(t, append(tl.addr(false, url), bad...)...)
	sink.wait(t, "sp rep facing a "+tl.name+" push")

	request, reply := allBytes(false), allBytes(true)
	good := tl.start(t, append(tl.addr(false, url),
		tl.proto("req"), "--raw", "--file", writeFile(t, request))...)
	got, err := s.Recv(ctx(t))
	require.NoError(t, err)
	requireBytes(t, request, got, "sp rep received request")
	require.NoError(t, s.Send(ctx(t), reply))
	waitExact(t, good, tl, reply, true)
	peers.requireOnly(t, 0x30) // req
}

// rejectAtDialer: an sp push dials a C rep (wrong) and a C pull (right); what
// it sends reaches the pull, and the rep never sees it.
func rejectAtDialer(t *testing.T, tl tool, tr transport) {
	s := newSocket(t, push.NewSocket)
	peers := watchPeers(s)
	sink := newLogSink(sp.ErrBadProtocol)
	require.NoError(t, sp.SetOption(s, sp.Logger, slog.New(sink)))
	badURL, goodURL := tr.free(t), tr.free(t)
	badPeer := tl.start(t, append(tl.addr(true, badURL), tl.proto("rep"), "--raw", "--data", "x")...)
	dial(t, s, badURL)
	sink.wait(t, "sp push dialing a "+tl.name+" rep") // turned away at least once
	good := tl.start(t, append(tl.addr(true, goodURL), append([]string{tl.proto("pull"), "--raw"}, tl.count(1)...)...)...)
	dial(t, s, goodURL)

	p := allBytes(false)
	require.NoError(t, s.Send(ctx(t), p))
	waitExact(t, good, tl, p, tl.nng)
	require.Empty(t, badPeer.Stdout(), "the C rep received something")
	peers.requireOnly(t, 0x51) // pull
}
