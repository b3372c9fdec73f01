package main

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// nngcat20 returns nng 2.0's nngcat, which has udp://, from $NNG20; it
// skips the test without it, unless SP_INTEROP=require.
func nngcat20(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("NNG20")
	path := filepath.Join(dir, "bin", "nngcat")
	if _, err := os.Stat(path); dir == "" || err != nil {
		msg := "interop: nngcat 2.0 not found (NNG20 unset or wrong): build it with ../shared/peers/build.sh and source its env.sh"
		if os.Getenv("SP_INTEROP") == "require" {
			t.Fatal(msg + "; SP_INTEROP=require")
		}
		t.Skip(msg)
	}
	return path
}

func freeUDPURL(t *testing.T) string {
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	require.NoError(t, err)
	defer pc.Close()
	return "udp://" + pc.LocalAddr().String()
}

// TestUDP runs spcat against nngcat 2.0 over udp://, each side listening
// in turn.
func TestUDP(t *testing.T) {
	cat := nngcat20(t)
	t.Run("spcat-req-dials", func(t *testing.T) {
		// nngcat has no ready signal, and nng 2.0's udp pipe holds a
		// message that comes before its receiver waits until another
		// one does (see rfc/transport-udp.md): a request sent the moment
		// the connection is up can stay unread. Try again with a new
		// nngcat, up to three times.
		for try := 1; ; try++ {
			url := freeUDPURL(t)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			rep := exec.CommandContext(ctx, cat, "--rep", "--listen", url, "--data", "pong", "--count", "1")
			require.NoError(t, rep.Start())
			time.Sleep(200 * time.Millisecond) // let it bind
			wait := "3"
			if try == 3 {
				wait = "10"
			}
			got := runSpcat("", "--req", "--dial", url, "--data", "ping", "--quoted", "--recv-timeout", wait)
			cancel()
			rep.Wait()
			if (got.Code != 0 || got.Stdout == "") && try < 3 {
				t.Logf("try %d: spcat req exited %d, printed %q (stderr %q); again", try, got.Code, got.Stdout, got.Stderr)
				continue
			}
			require.Equal(t, 0, got.Code, "spcat exit code: got %d, want 0 (stderr %q)", got.Code, got.Stderr)
			require.Equal(t, "\"pong\"\n", got.Stdout, "spcat printed %q, want %q", got.Stdout, "\"pong\"\n")
			return
		}
	})
	t.Run("spcat-rep-listens", func(t *testing.T) {
		// nng 2.0's req sends before it starts receiving on a new pipe,
		// and its udp pipe holds a message that comes before that until
		// another one does (see rfc/transport-udp.md): a reply that
		// beats nng's receive stays unread. Try again, up to three times.
		for try := 1; ; try++ {
			url := freeUDPURL(t)
			done := make(chan result, 1)
			go func() {
				done <- runSpcat("", "--rep", "--listen", url, "--data", "pong", "--count", "1", "--quoted", "--recv-timeout", "10")
			}()
			time.Sleep(200 * time.Millisecond) // let it bind
			wait := 3 * time.Second
			if try == 3 {
				wait = 20 * time.Second
			}
			ctx, cancel := context.WithTimeout(context.Background(), wait)
			out, err := exec.CommandContext(ctx, cat, "--req", "--dial", url, "--data", "ping", "--quoted").CombinedOutput()
			cancel()
			got := <-done
			require.Equal(t, 0, got.Code, "spcat exit code: got %d, want 0 (stderr %q)", got.Code, got.Stderr)
			require.Equal(t, "\"ping\"\n", got.Stdout, "spcat printed %q, want %q", got.Stdout, "\"ping\"\n")
			if err != nil && try < 3 {
				t.Logf("try %d: nngcat req got no reply within %v (nng 2.0 held it): %v; again", try, wait, err)
				continue
			}
			require.NoError(t, err, "nngcat req: %s", out)
			require.Equal(t, "\"pong\"", strings.TrimSpace(string(out)), "nngcat printed %q, want %q", out, "\"pong\"")
			return
		}
	})
}
