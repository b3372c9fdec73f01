package ipc_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/spgo/sp/internal/leaktest"
	"github.com/spgo/sp/internal/sptest"
	"github.com/spgo/sp/transport/transporttest"
)

func TestMain(m *testing.M) { leaktest.VerifyTestMain(m) }

// rawDial connects to an ipc://, unix:// or abstract:// URL.
func rawDial(ctx context.Context, url string) (net.Conn, error) {
	scheme, path, _ := strings.Cut(url, "://")
	if scheme == "abstract" {
		path = "@" + path
	}
	var d net.Dialer
	return d.DialContext(ctx, "unix", path)
}

var badURLs = []transporttest.BadURL{
	{URL: "ipc://" + strings.Repeat("x", 108), Reason: "path longer than 107 bytes"},
	{URL: "unix://" + strings.Repeat("x", 108), Reason: "path longer than 107 bytes"},
	{URL: "ipc:///tmp/a\x00b", Reason: "NUL in path"},
	{URL: "ipc:/tmp/sock", Reason: "no scheme"},
}

// config returns the suite's configuration for paths of scheme (ipc or
// unix).
func config(scheme string) transporttest.Config {
	path := func(t testing.TB) string { return scheme + "://" + sptest.IPCPath(t) }
	return transporttest.Config{
		Addr:    path,
		Refused: path, // a path with no socket file
		BadURLs: badURLs,
		Stream:  &transporttest.Stream{Dial: rawDial, IPC: true},
	}
}

func TestConformance(t *testing.T) { transporttest.Run(t, config("ipc")) }

func TestConformanceUnix(t *testing.T) { transporttest.Exchange(t, config("unix")) }

var abstractSeq atomic.Uint64

func TestConformanceAbstract(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("abstract sockets are Linux's")
	}
	name := func(testing.TB) string {
		return fmt.Sprintf("abstract://sp-transporttest-%d-%d", os.Getpid(), abstractSeq.Add(1))
	}
	transporttest.Run(t, transporttest.Config{
		Addr:    name,
		Refused: name,
		BadURLs: []transporttest.BadURL{
			{URL: "abstract://" + strings.Repeat("x", 107), Reason: "abstract name longer than 106 bytes"},
		},
		Stream: &transporttest.Stream{Dial: rawDial, IPC: true},
	})
}
