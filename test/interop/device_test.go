package interop_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/interop"
	"github.com/spgo/sp/protocol/rep"
	"github.com/spgo/sp/protocol/req"
)

// TestDeviceBetweenNngPeers puts an sp device (a raw rep facing requesters,
// a raw req facing the replier) between nngcat requesters and an nngcat
// replier, and checks that every requester gets the reply, for every nngcat
// version.
func TestDeviceBetweenNngPeers(t *testing.T) {
	for _, tr := range transports {
		for _, nng := range nngcats {
			t.Run(nng.name+"/"+tr.name, func(t *testing.T) {
				t.Parallel()
				deviceBetween(t, nng, tr)
			})
		}
	}
}

// deviceBetween is one case of TestDeviceBetweenNngPeers.
func deviceBetween(t *testing.T, nng tool, tr transport) {
	nng.path(t)
	front := newSocket(t, rep.NewRawSocket)
	back := newSocket(t, req.NewRawSocket)
	frontURL := listen(t, front, tr)

	reply := answer(payloads[0])
	backURL := tr.free(t)
	nng.start(t, "--rep0", "--listen", backURL, "--file", writeFile(t, reply))
	dial(t, back, backURL)

	dctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sp.Device(dctx, front, back) }()
	defer func() {
		cancel()
		require.ErrorIs(t, <-done, context.Canceled)
	}()

	const n = 4
	reqs := make([]*interop.Proc, n)
	for i := range reqs {
		q := []byte(fmt.Sprintf("request %d", i))
		reqs[i] = nng.start(t, "--req0", "--dial", frontURL, "--raw", "--file", writeFile(t, q))
	}
	for i, p := range reqs {
		p.WaitStdout(t, reply, timeout)
		require.NoError(t, p.Wait(timeout), "requester %d", i)
		requireBytes(t, reply, p.Stdout(), fmt.Sprintf("requester %d printed", i))
	}
}
