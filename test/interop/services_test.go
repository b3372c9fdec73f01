package interop_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/spgo/sp/internal/interop"
	"github.com/spgo/sp/protocol/rep"
	"github.com/spgo/sp/protocol/req"
)

// TestServeAgainstCRequesters: rep.Serve answers many C requesters (nngcat
// and nanocat, each a process sending its own request) at once, each with
// the reply to its own request.
func TestServeAgainstCRequesters(t *testing.T) {
	const clients = 12
	for _, tl := range tools {
		for _, tr := range transports {
			t.Run(tl.name+"/"+tr.name, func(t *testing.T) {
				t.Parallel()
				tl.path(t)
				s := newSocket(t, rep.NewSocket)
				url := listen(t, s, tr)
				sctx, cancel := context.WithCancel(context.Background())
				done := make(chan error, 1)
				go func() {
					done <- rep.Serve(sctx, s, func(_ context.Context, q []byte) ([]byte, error) {
						return append([]byte("re: "), q...), nil
					})
				}()
				defer func() {
					cancel()
					require.ErrorIs(t, <-done, context.Canceled)
				}()
				procs := make([]*interop.Proc, clients)
				for i := range procs {
					q := fmt.Sprintf("request from C client %d", i)
					procs[i] = tl.start(t, append(tl.addr(false, url),
						tl.proto("req"), "--raw", "--data", q)...)
				}
				for i, p := range procs {
					want := fmt.Sprintf("re: request from C client %d", i)
					waitExact(t, p, tl, []byte(want), tl.nng)
				}
			})
		}
	}
}

// TestRequestAgainstNngRep: req.Request from 64 goroutines at once on one
// sp socket, against a rep on libnng serving 16 contexts (nngecho.c), each
// goroutine getting the reply to its own request; nngecho is built against
// each libnng: Debian's 1.5 and the static 1.12 and 2.0 of build.sh.
func TestRequestAgainstNngRep(t *testing.T) {
	for _, lib := range libnngs {
		for _, tr := range transports {
			t.Run(lib.name+"/"+tr.name, func(t *testing.T) {
				t.Parallel()
				bin := nngecho(t, lib)
				requestAgainst(t, bin, tr)
			})
		}
	}
}

// requestAgainst is one case of TestRequestAgainstNngRep.
func requestAgainst(t *testing.T, bin string, tr transport) {
	const goroutines, each = 64, 10
	url := tr.free(t)
	interop.Start(t, bin, "listen", url)
	s := newSocket(t, req.NewSocket)
	dial(t, s, url)
	var wg sync.WaitGroup
	errs := make(chan error, goroutines)
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				q := fmt.Sprintf("goroutine %d request %d", g, i)
				b, err := req.Request(ctx(t), s, []byte(q))
				if err != nil {
					errs <- fmt.Errorf("%s: %w", q, err)
					return
				}
				if string(b) != "echo:"+q {
					errs <- fmt.Errorf("%s: got reply %q, want %q", q, b, "echo:"+q)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// libnng is one libnng a C test program can link against.
type libnng struct {
	name string
	// peer is the nngcat of the build.sh install whose lib and include
	// directories to use; nil means the system's (Debian's libnng-dev).
	peer *interop.Peer
}

var libnngs = []libnng{
	{"libnng-1.5", nil},
	{"libnng-1.12", &interop.NNGCat112},
	{"libnng-2.0", &interop.NNGCat20},
}

// nngecho builds testdata/nngecho.c against lib, or skips, failing under
// SP_INTEROP=require. A build.sh libnng is static: it links with $NNG_LIBS
// (mbedTLS and pthread).
func nngecho(t *testing.T, lib libnng) string {
	t.Helper()
	cc, err := exec.LookPath("cc")
	if err != nil {
		interop.Missing(t, "nngecho: no C compiler", "apt-get install gcc libc6-dev")
	}
	bin := filepath.Join(t.TempDir(), "nngecho")
	args := []string{"-O2", "-o", bin, filepath.Join("testdata", "nngecho.c")}
	hint := "apt-get install libnng-dev"
	if lib.peer == nil {
		args = append(args, "-lnng")
	} else {
		hint = lib.peer.Hint
		if os.Getenv(lib.peer.Env) == "" {
			interop.Missing(t, fmt.Sprintf("%s not found ($%s is not set)", lib.name, lib.peer.Env), hint)
		}
		dir := lib.peer.Dir(t)
		libs := os.Getenv("NNG_LIBS")
		if libs == "" {
			libs = "-lmbedtls -lmbedx509 -lmbedcrypto -lpthread"
		}
		args = append(args, "-I"+filepath.Join(dir, "include"), filepath.Join(dir, "lib", "libnng.a"))
		args = append(args, strings.Fields(libs)...)
	}
	if out, err := exec.Command(cc, args...).CombinedOutput(); err != nil {
		interop.Missing(t, fmt.Sprintf("nngecho: cannot build it against %s (%v: %q)", lib.name, err, out), hint)
	}
	return bin
}
