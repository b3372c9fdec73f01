package sp_test

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/spgo/sp"
	"github.com/spgo/sp/protocol/pull"
	"github.com/spgo/sp/protocol/push"
	"github.com/stretchr/testify/require"
)

// syncBuffer is a bytes.Buffer safe for the socket's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestLogs checks that a socket with a Logger says, under its name, when
// pipes come and go and why, and when it refuses a peer.
func TestLogs(t *testing.T) {
	var buf syncBuffer
	url := tcpURL(t)
	s := mustSocket(t, pull.NewSocket)
	require.NoError(t, sp.SetOption(s, sp.Logger, slog.New(slog.NewTextHandler(&buf, nil))))
	require.NoError(t, sp.SetOption(s, sp.SocketName, "jobs"))
	_, err := s.Listen(url)
	require.NoError(t, err)

	p := mustSocket(t, push.NewSocket)
	require.NoError(t, p.Dial(url, sp.WithDialSync()))
	require.NoError(t, p.Send(context.Background(), []byte("x")))
	_, err = s.Recv(context.Background())
	require.NoError(t, err)
	require.NoError(t, p.Close())

	c, err := net.Dial("tcp", strings.TrimPrefix(url, "tcp://"))
	require.NoError(t, err)
	_, err = c.Write([]byte("\x00SP\x01\x00\x50\x00\x00"))
	require.NoError(t, err)
	defer c.Close()

	for _, want := range []string{
		`msg="pipe added" socket=jobs`,
		`msg="pipe removed" socket=jobs`,
		`msg="peer rejected" socket=jobs`,
		`unsupported SP version 1`,
	} {
		eventually(t, "log says "+want, func() bool { return strings.Contains(buf.String(), want) })
	}
	require.Contains(t, buf.String(), "reason=EOF", "a pipe's removal says why")
}
