package interop

import (
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestPeerVersions runs every nngcat with --version: each must be the build
// it claims to be (nng 1.12.0's headers still say 1.11.0).
func TestPeerVersions(t *testing.T) {
	for _, tc := range []struct {
		peer Peer
		want string
	}{
		{NNGCat15, `^1\.5\.\d+\n$`},
		{NNGCat112, `^1\.1[12]\.\d+\n$`},
		{NNGCat20, `^2\.0\.\d+(dev)?\n$`},
	} {
		t.Run(tc.peer.Name, func(t *testing.T) {
			t.Parallel()
			p := tc.peer.Start(t, "--version")
			require.NoError(t, p.Wait(10*time.Second))
			got := string(p.Stdout())
			require.Regexp(t, regexp.MustCompile(tc.want), got, "%s --version: got %q, want a match for %s", tc.peer.Name, got, tc.want)
		})
	}
}

// TestPeerMacat runs macat, which has no --version: without a protocol it
// says so and exits 1.
func TestPeerMacat(t *testing.T) {
	p := Macat.Start(t, "--bind", "tcp://127.0.0.1:0")
	err := p.Wait(10 * time.Second)
	require.Error(t, err, "macat without a protocol: got success, want exit status 1")
	require.Contains(t, string(p.Stderr()), "protocol not specified")
}

// runPeer calls p.Path with a fake in a goroutine of its own, since Skipf
// and Fatalf end it.
func runPeer(p Peer) (*fakeTB, string) {
	f := &fakeTB{}
	var path string
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		path = p.Path(f)
	}()
	wg.Wait()
	return f, path
}

func TestPeerPath(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin", "tool")
	require.NoError(t, os.MkdirAll(filepath.Dir(bin), 0o755))
	require.NoError(t, os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755))
	inDir := Peer{Name: "tool-9.9", Env: "SP_TEST_PEER_DIR", Rel: "bin/tool", Hint: buildHint}
	file := Peer{Name: "tool-file", Env: "SP_TEST_PEER_FILE", Hint: buildHint}
	onPath := Peer{Name: "tool-on-path", Command: "sp-no-such-tool", Hint: "apt-get install sp-no-such-tool"}

	tests := []struct {
		name    string
		peer    Peer
		env     map[string]string
		require bool
		want    string // the path found, or "" when it is missing
	}{
		{"dir set", inDir, map[string]string{"SP_TEST_PEER_DIR": dir}, false, bin},
		{"file set", file, map[string]string{"SP_TEST_PEER_FILE": bin}, false, bin},
		{"dir unset", inDir, map[string]string{"SP_TEST_PEER_DIR": ""}, false, ""},
		{"dir unset, required", inDir, map[string]string{"SP_TEST_PEER_DIR": ""}, true, ""},
		{"dir without the tool", inDir, map[string]string{"SP_TEST_PEER_DIR": t.TempDir()}, false, ""},
		{"not on PATH", onPath, nil, false, ""},
		{"not on PATH, required", onPath, nil, true, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			t.Setenv("SP_INTEROP", map[bool]string{true: "require", false: ""}[tc.require])
			f, path := runPeer(tc.peer)
			if tc.want != "" {
				require.Empty(t, f.skipped+f.failed, "got a skip or failure %q, want the path", f.skipped+f.failed)
				require.Equal(t, tc.want, path, "got path %q, want %q", path, tc.want)
				return
			}
			msg := f.skipped
			if tc.require {
				msg = f.failed
				require.Empty(t, f.skipped, "got a skip %q, want a failure", f.skipped)
			} else {
				require.Empty(t, f.failed, "got a failure %q, want a skip", f.failed)
			}
			require.Contains(t, msg, tc.peer.Name+" not found", "got %q, want it to name the peer", msg)
			require.Contains(t, msg, tc.peer.Hint, "got %q, want it to say how to get the peer", msg)
			require.NotContains(t, msg, "\n", "got %q, want one line", msg)
		})
	}
}
