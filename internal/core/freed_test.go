package core_test

import (
	"testing"
	"time"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/leaktest"
	"github.com/spgo/sp/internal/sptest"
	"github.com/spgo/sp/protocol/pull"
	"github.com/spgo/sp/protocol/push"
	"github.com/spgo/sp/protocol/rep"
	"github.com/spgo/sp/protocol/req"
	"github.com/stretchr/testify/require"
)

// What an inproc connection holds when nobody will read it any more (it
// was turned away, or its pipe closed over an error) is freed: whole
// messages the peer sent, which the message leak check would otherwise
// find lost to the pool. Each scenario runs in a function of its own with
// sockets of its own, so that they are unreachable when the check runs.

// An inproc connection turned away once its handshake is done (here the
// pipe hook rejects it) frees what the peer had already sent on it: nobody
// else would read it.
func TestRejectedConnFreesWhatCame(t *testing.T) {
	check := leaktest.CheckMessages(t)
	rejectAfterSend(t)
	check()
}

// rejectAfterSend has a req socket send a request on its new pipe before
// the rep socket's hook turns that connection away. Its sockets are its own,
// as closeWithUnread's.
func rejectAfterSend(t *testing.T) {
	server, err := rep.NewSocket()
	require.NoError(t, err)
	defer server.Close()
	client, err := req.NewSocket()
	require.NoError(t, err)
	defer client.Close()
	hook, sent := holdAdding(false)
	server.SetPipeHook(hook)
	addr := sptest.InprocAddr()
	_, err = server.Listen(addr)
	require.NoError(t, err)
	require.NoError(t, client.Dial(addr, sp.WithDialSync()))
	ctx := sptest.Ctx(t)
	require.NoError(t, client.Send(ctx, []byte("turned away")))
	sent()
	sptest.Eventually(t, "the connection turned away", func() bool { return server.Stats().Rejected > 0 })
}

// A pipe closed over an inproc message above its RecvMaxSize frees what
// its peer sent after that message.
func TestTooLargeFreesTheRest(t *testing.T) {
	check := leaktest.CheckMessages(t)
	tooLargeThenMore(t)
	check()
}

// tooLargeThenMore has a push socket send a message over the pull
// socket's RecvMaxSize and five more behind it, all before the pull socket
// takes the pipe (its hook holds PipeAdding until then): had the pipe been
// up, it could close over the first message before the others were sent,
// leaving push no peer to send them to.
func tooLargeThenMore(t *testing.T) {
	sink, err := pull.NewSocket()
	require.NoError(t, err)
	defer sink.Close()
	require.NoError(t, sp.SetOption(sink, sp.RecvMaxSize, 100))
	hook, sent := holdAdding(true)
	pipes := sptest.CountPipes(sink, hook)
	src, err := push.NewSocket()
	require.NoError(t, err)
	defer src.Close()
	addr := sptest.InprocAddr()
	_, err = sink.Listen(addr)
	require.NoError(t, err)
	require.NoError(t, src.Dial(addr, sp.WithDialSync(), sp.With(sp.ReconnectMin, time.Hour)))
	ctx := sptest.Ctx(t)
	require.NoError(t, src.Send(ctx, make([]byte, 200))) // over the limit
	for i := range 5 {
		require.NoError(t, src.Send(ctx, []byte{byte(i)}))
	}
	sent()
	pipes.Wait(t, "the pipe closed over the large message", func(live, added int) bool { return live == 0 && added == 1 })
	require.Equal(t, uint64(1), sink.Stats().Drops.TooLarge, "messages dropped as too large")
}

// holdAdding returns a pipe hook that holds PipeAdding until release is
// called and then answers accept: the dialing peer, whose side of an inproc
// pipe is up meanwhile, sends into a connection this side does not read yet.
func holdAdding(accept bool) (hook sp.PipeHook, release func()) {
	sent := make(chan struct{})
	hook = func(ev sp.PipeEvent, _ sp.Pipe) bool {
		if ev != sp.PipeAdding {
			return true
		}
		<-sent
		return accept
	}
	return hook, func() { close(sent) }
}

// ownPushPull returns a pull socket listening on a fresh inproc address and
// a push socket dialed to it, once their pipe has joined. No test cleanup
// refers to them: the caller closes them, and once it returns they are
// unreachable, for the message check.
func ownPushPull(t *testing.T) (sink, src sp.Socket) {
	t.Helper()
	sink, err := pull.NewSocket()
	require.NoError(t, err)
	src, err = push.NewSocket()
	require.NoError(t, err)
	pipes := sptest.CountPipes(sink, nil)
	addr := sptest.InprocAddr()
	_, err = sink.Listen(addr)
	require.NoError(t, err)
	require.NoError(t, src.Dial(addr, sp.WithDialSync(), sp.With(sp.ReconnectMin, time.Hour)))
	pipes.WaitLive(t, 1)
	return sink, src
}
