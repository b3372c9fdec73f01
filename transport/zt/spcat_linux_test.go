package zt_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// buildSpcat builds cmd/spcat into a temporary directory.
func buildSpcat(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "spcat")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/spgo/sp/cmd/spcat").CombinedOutput()
	if err != nil {
		cannot(t, "cannot build spcat: %v\n%s", err, out)
	}
	return bin
}

// spcatIn runs spcat in network namespace ns and returns a started command
// whose stdout is captured.
func spcatIn(t *testing.T, bin, ns string, args ...string) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	cmd := exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", ns, bin}, args...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("spcat %v in %s: stderr %q", args, ns, errb.String())
		}
	})
	return cmd, &out
}

// TestNetnsSpcat runs spcat on both ends of a zt:// link between two
// namespaces: req/rep, pub/sub, and a 1 MiB request and reply. spcat finds
// the namespace's zt* interface by its MAC, as it would on a ZeroTier host.
func TestNetnsSpcat(t *testing.T) {
	bin := buildSpcat(t)
	n := newNetns(t, "s", false)
	nwid := fmt.Sprintf("%016x", uint64(nsNWID))
	server := func(port int) string { return fmt.Sprintf("zt://*.%s:%d", nwid, port) }
	client := func(port int) string { return fmt.Sprintf("zt://%010x.%s:%d", uint64(nodeA), nwid, port) }

	t.Run("req-rep", func(t *testing.T) {
		port := 1000 + rand.IntN(1000)
		rep, _ := spcatIn(t, bin, n.a, "--rep", "--listen", server(port), "--data", "pong", "--count", "1", "--quoted")
		req, out := spcatIn(t, bin, n.b, "--req", "--dial", client(port), "--async", "--data", "ping", "--quoted", "--recv-timeout", "20")
		require.NoError(t, req.Wait(), "spcat --req")
		require.Equal(t, "\"pong\"\n", out.String())
		require.NoError(t, rep.Wait(), "spcat --rep")
	})
	t.Run("pub-sub", func(t *testing.T) {
		port := 2000 + rand.IntN(1000)
		spcatIn(t, bin, n.a, "--pub", "--listen", server(port), "--data", "tick", "--interval", "0.2", "--count", "100")
		sub, out := spcatIn(t, bin, n.b, "--sub", "--dial", client(port), "--async", "--count", "2", "--quoted", "--recv-timeout", "20")
		require.NoError(t, sub.Wait(), "spcat --sub")
		require.Equal(t, "\"tick\"\n\"tick\"\n", out.String())
	})
	t.Run("1MiB", func(t *testing.T) {
		port := 3000 + rand.IntN(1000)
		dir := t.TempDir()
		big := make([]byte, 1<<20)
		for i := range big {
			big[i] = byte(rand.Uint32())
		}
		reply := append([]byte("reply:"), big...)
		for name, b := range map[string][]byte{"req": big, "rep": reply} {
			require.NoError(t, os.WriteFile(filepath.Join(dir, name), b, 0o600))
		}
		spcatIn(t, bin, n.a, "--rep", "--listen", server(port), "--file", filepath.Join(dir, "rep"), "-Z", "4194304", "--count", "1")
		req, out := spcatIn(t, bin, n.b, "--req", "--dial", client(port), "--async", "--file", filepath.Join(dir, "req"),
			"-Z", "4194304", "--raw", "--recv-timeout", "30")
		require.NoError(t, req.Wait(), "spcat --req")
		require.True(t, bytes.Equal(reply, out.Bytes()), "got a reply of %d bytes, want %d bytes, identical", out.Len(), len(reply))
	})
}
