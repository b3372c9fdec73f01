package interop

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// A Peer is one build of a reference tool that tests run as a process: the
// Debian nngcat and nanocat on PATH, or one that ../shared/peers/build.sh
// built and its env.sh names (nngcat of nng 1.12 and 2.0, mangos' macat).
//
// Path finds the command; when it is missing, the test is skipped with one
// line saying how to get it, or fails under SP_INTEROP=require.
type Peer struct {
	// Name names the peer in subtest names and messages, e.g.
	// "nngcat-1.12".
	Name string
	// Command is the command looked up on PATH, when Env is empty.
	Command string
	// Env is the environment variable that locates the peer: the install
	// directory (then Rel is the command in it) or, with Rel empty, the
	// command itself.
	Env string
	// Rel is the command's path relative to $Env.
	Rel string
	// Hint says how to get the peer, for the skip message.
	Hint string
}

// buildHint is how to get the peers that build.sh builds.
const buildHint = "run ../shared/peers/build.sh and source its env.sh"

// The peers the interop tests know.
var (
	// NNGCat15 is nngcat from Debian's nng-utils (nng 1.5.2), on PATH.
	NNGCat15 = Peer{Name: "nngcat-1.5", Command: "nngcat", Hint: "apt-get install nng-utils"}
	// NNGCat112 is nngcat of nng 1.12 ($NNG112/bin/nngcat; it reports
	// version 1.11.0).
	NNGCat112 = Peer{Name: "nngcat-1.12", Env: "NNG112", Rel: "bin/nngcat", Hint: buildHint}
	// NNGCat20 is nngcat of nng 2.0.0-dev ($NNG20/bin/nngcat).
	NNGCat20 = Peer{Name: "nngcat-2.0", Env: "NNG20", Rel: "bin/nngcat", Hint: buildHint}
	// Nanocat is nanocat from Debian's nanomsg-utils (nanomsg 1.1.5), on
	// PATH.
	Nanocat = Peer{Name: "nanocat", Command: "nanocat", Hint: "apt-get install nanomsg-utils"}
	// Macat is mangos v3.4.2's macat ($MACAT).
	Macat = Peer{Name: "macat", Env: "MACAT", Hint: buildHint}
)

// NNGCats lists every nngcat version, oldest first.
var NNGCats = []Peer{NNGCat15, NNGCat112, NNGCat20}

// Lookup returns the peer's command path, or an error saying why it is
// missing.
func (p Peer) Lookup() (string, error) {
	if p.Env == "" {
		return exec.LookPath(p.Command)
	}
	dir := os.Getenv(p.Env)
	if dir == "" {
		return "", fmt.Errorf("$%s is not set", p.Env)
	}
	path := dir
	if p.Rel != "" {
		path = filepath.Join(dir, p.Rel)
	}
	return exec.LookPath(path)
}

// Path returns the peer's command path. If it is missing, the test is
// skipped (one line: what is missing and how to get it), or fails under
// SP_INTEROP=require.
func (p Peer) Path(t testing.TB) string {
	t.Helper()
	path, err := p.Lookup()
	if err != nil {
		Missing(t, fmt.Sprintf("%s not found (%v)", p.Name, err), p.Hint)
	}
	return path
}

// Start starts the peer with args, as the package-level Start does (messages
// name it by p.Name); it skips or fails like Path when the peer is missing.
func (p Peer) Start(t testing.TB, args ...string) *Proc {
	t.Helper()
	return start(t, p.Name, p.Path(t), args)
}

// Dir returns the directory that the peer's environment variable names (for
// a build of nng, where its lib and include are), skipping or failing like
// Path when it is not set or does not exist.
func (p Peer) Dir(t testing.TB) string {
	t.Helper()
	if p.Env == "" || p.Rel == "" {
		t.Fatalf("interop: %s has no install directory", p.Name)
	}
	dir := os.Getenv(p.Env)
	if dir == "" {
		Missing(t, fmt.Sprintf("%s not found ($%s is not set)", p.Name, p.Env), p.Hint)
	}
	if _, err := os.Stat(dir); err != nil {
		Missing(t, fmt.Sprintf("%s not found (%v)", p.Name, err), p.Hint)
	}
	return dir
}

// Missing skips the test with the one line "what: hint", or, when the
// environment has SP_INTEROP=require, fails it with that line.
func Missing(t testing.TB, what, hint string) {
	t.Helper()
	if os.Getenv("SP_INTEROP") == "require" {
		t.Fatalf("interop: %s: %s (SP_INTEROP=require)", what, hint)
	}
	t.Skipf("interop: %s: %s", what, hint)
}
