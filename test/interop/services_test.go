package interop_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
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
				interop.Tool(t, tl.name)
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
					procs[i] = interop.Start(t, tl.name, append(tl.addr(false, url),
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
// goroutine getting the reply to its own request.
func TestRequestAgainstNngRep(t *testing.T) {
	bin := nngecho(t)
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
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
		})
	}
}

// nngecho builds testdata/nngecho.c against libnng, or skips, failing
// under SP_INTEROP=require.
func nngecho(t *testing.T) string {
	t.Helper()
	missing := func(why string) {
		if os.Getenv("SP_INTEROP") == "require" {
			t.Fatalf("nngecho: %s (SP_INTEROP=require)", why)
		}
		t.Skipf("nngecho: %s; apt-get install gcc libnng-dev, or set SP_INTEROP=require to fail instead", why)
	}
	cc, err := exec.LookPath("cc")
	if err != nil {
		missing("no C compiler")
	}
	bin := filepath.Join(t.TempDir(), "nngecho")
	if out, err := exec.Command(cc, "-O2", "-o", bin, filepath.Join("testdata", "nngecho.c"), "-lnng").CombinedOutput(); err != nil {
		missing(fmt.Sprintf("cannot build it (is libnng-dev installed?): %v\n%s", err, out))
	}
	return bin
}
