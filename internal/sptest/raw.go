package sptest

import (
	"encoding/binary"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/spgo/sp/internal/wire"
	"github.com/stretchr/testify/require"
)

// Streams runs body over the transports that carry bytes (ipc, tcp), for
// tests that speak to a socket with hand-made frames.
func Streams(t *testing.T, body func(t *testing.T, tr Transport)) {
	for _, tr := range All {
		if tr.Name != "inproc" {
			t.Run(tr.Name, func(t *testing.T) { body(t, tr) })
		}
	}
}

// RawPeer is a hand-made SP peer over a net.Conn: it does the handshake and
// then sends whatever frames a test gives it.
type RawPeer struct {
	C    net.Conn
	Peer uint16 // the listener's protocol id, from its handshake
	ipc  bool
}

// DialRaw connects to an sp listener at addr (tcp:// or ipc://) and does the
// SP handshake as protocol proto, checking the listener's answer.
func DialRaw(t *testing.T, addr string, proto uint16) *RawPeer {
	t.Helper()
	network, a, ok := strings.Cut(addr, "://")
	require.True(t, ok, "address %q", addr)
	if network == "ipc" {
		network = "unix"
	}
	c, err := net.DialTimeout(network, a, Timeout)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	require.NoError(t, c.SetDeadline(time.Now().Add(Timeout)))
	_, err = c.Write(wire.AppendHandshake(nil, proto))
	require.NoError(t, err)
	hs := make([]byte, wire.HandshakeSize)
	_, err = io.ReadFull(c, hs)
	require.NoError(t, err)
	peer, err := wire.ParseHandshake(hs)
	require.NoError(t, err)
	return &RawPeer{C: c, Peer: peer, ipc: network == "unix"}
}

// Send writes one frame per payload, all in one write: the socket may close
// the connection on a bad one, and a later write would fail.
func (r *RawPeer) Send(t *testing.T, payloads ...[]byte) {
	t.Helper()
	var b []byte
	for _, p := range payloads {
		b = append(wire.AppendFrameHeader(b, r.ipc, len(p)), p...)
	}
	_, err := r.C.Write(b)
	require.NoError(t, err)
}

// Recv reads one frame and returns its payload (header and body).
func (r *RawPeer) Recv(t *testing.T) []byte {
	t.Helper()
	prefix := make([]byte, wire.FrameHeaderSize(r.ipc))
	_, err := io.ReadFull(r.C, prefix)
	require.NoError(t, err)
	n := binary.BigEndian.Uint64(prefix[len(prefix)-8:])
	require.Less(t, n, uint64(1<<20), "frame length")
	b := make([]byte, n)
	_, err = io.ReadFull(r.C, b)
	require.NoError(t, err)
	return b
}

// RecvUntilEOF reads frames until the other side ends its sending half (or
// closes), and returns their payloads; it fails on a partial frame, or if
// the end has not come within Timeout.
func (r *RawPeer) RecvUntilEOF(t *testing.T) [][]byte {
	t.Helper()
	var got [][]byte
	prefix := make([]byte, wire.FrameHeaderSize(r.ipc))
	for {
		_, err := io.ReadFull(r.C, prefix)
		if err == io.EOF {
			return got
		}
		require.NoError(t, err, "after %d frames", len(got))
		n := binary.BigEndian.Uint64(prefix[len(prefix)-8:])
		require.Less(t, n, uint64(1<<20), "frame length")
		b := make([]byte, n)
		_, err = io.ReadFull(r.C, b)
		require.NoError(t, err, "frame %d", len(got))
		got = append(got, b)
	}
}

// WaitClosed reads until the other side closes the connection, failing if
// it is still open after Timeout.
func (r *RawPeer) WaitClosed(t *testing.T) {
	t.Helper()
	_, err := io.Copy(io.Discard, r.C)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatalf("the socket did not close the connection within %v", Timeout)
	}
}
