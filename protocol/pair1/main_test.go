package pair1_test

import (
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/spgo/sp/internal/leaktest"
	"github.com/spgo/sp/internal/sptest"
	"github.com/spgo/sp/internal/wire"
	"github.com/stretchr/testify/require"
)

func TestMain(m *testing.M) { leaktest.VerifyTestMain(m) }

// hop returns a pair1 frame payload: the hop count header, then body.
func hop(n uint32, body string) []byte {
	return append(wire.AppendUint32(nil, n), body...)
}

// streams runs body over the transports that carry bytes (ipc, tcp), for
// tests that speak to a socket with hand-made frames.
func streams(t *testing.T, body func(t *testing.T, tr sptest.Transport)) {
	for _, tr := range sptest.All {
		if tr.Name != "inproc" {
			t.Run(tr.Name, func(t *testing.T) { body(t, tr) })
		}
	}
}

// rawPeer is a hand-made SP peer over a net.Conn: it sends the handshake and
// then whatever frames a test gives it.
type rawPeer struct {
	c   net.Conn
	ipc bool
}

// dialRaw connects to an sp listener at addr (tcp:// or ipc://) and does the
// SP handshake as protocol proto.
func dialRaw(t *testing.T, addr string, proto uint16) *rawPeer {
	t.Helper()
	network, a, ok := strings.Cut(addr, "://")
	require.True(t, ok, "address %q", addr)
	if network == "ipc" {
		network = "unix"
	}
	c, err := net.DialTimeout(network, a, sptest.Timeout)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	require.NoError(t, c.SetDeadline(time.Now().Add(sptest.Timeout)))
	_, err = c.Write(wire.AppendHandshake(nil, proto))
	require.NoError(t, err)
	hs := make([]byte, wire.HandshakeSize)
	_, err = io.ReadFull(c, hs)
	require.NoError(t, err)
	peer, err := wire.ParseHandshake(hs)
	require.NoError(t, err)
	require.Equal(t, proto, peer, "peer protocol: got %#x, want %#x", peer, proto)
	return &rawPeer{c: c, ipc: network == "unix"}
}

// send writes one frame per payload, all in one write: the socket may
// close the connection on a bad one, and a later write would fail.
func (r *rawPeer) send(t *testing.T, payloads ...[]byte) {
	t.Helper()
	var b []byte
	for _, p := range payloads {
		b = append(wire.AppendFrameHeader(b, r.ipc, len(p)), p...)
	}
	_, err := r.c.Write(b)
	require.NoError(t, err)
}

// recv reads one frame and returns its payload (header and body).
func (r *rawPeer) recv(t *testing.T) []byte {
	t.Helper()
	prefix := make([]byte, wire.FrameHeaderSize(r.ipc))
	_, err := io.ReadFull(r.c, prefix)
	require.NoError(t, err)
	n := binary.BigEndian.Uint64(prefix[len(prefix)-8:])
	require.Less(t, n, uint64(1<<20), "frame length")
	b := make([]byte, n)
	_, err = io.ReadFull(r.c, b)
	require.NoError(t, err)
	return b
}

// waitClosed reads until the other side closes the connection, failing if
// it is still open after sptest.Timeout.
func (r *rawPeer) waitClosed(t *testing.T) {
	t.Helper()
	_, err := io.Copy(io.Discard, r.c)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatalf("the socket did not close the connection within %v", sptest.Timeout)
	}
}

func msgs(prefix string, n int) []string {
	s := make([]string, n)
	for i := range s {
		s[i] = fmt.Sprintf("%s%d", prefix, i)
	}
	return s
}
