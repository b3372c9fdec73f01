package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/spgo/sp/internal/interop"
	"github.com/stretchr/testify/require"
)

// nngperf builds ../shared/bench/nngperf.c (beside the repository) against
// libnng, or skips — failing under SP_INTEROP=require.
func nngperf(t *testing.T) string {
	t.Helper()
	src, err := filepath.Abs(filepath.Join("..", "..", "..", "shared", "bench", "nngperf.c"))
	require.NoError(t, err)
	missing := func(why string) {
		if os.Getenv("SP_INTEROP") == "require" {
			t.Fatalf("nngperf: %s (SP_INTEROP=require)", why)
		}
		t.Skipf("nngperf: %s", why)
	}
	if _, err := os.Stat(src); err != nil {
		missing("no " + src)
	}
	cc, err := exec.LookPath("cc")
	if err != nil {
		missing("no C compiler")
	}
	bin := filepath.Join(t.TempDir(), "nngperf")
	if out, err := exec.Command(cc, "-O2", "-o", bin, src, "-lnng").CombinedOutput(); err != nil {
		missing(fmt.Sprintf("cannot build it (is libnng-dev installed?): %v\n%s", err, out))
	}
	return bin
}

// TestAgainstNngperf runs spperf on one end and nngperf on the other, both
// ways, for throughput and latency, over tcp and ipc: the two tools speak
// the same pair v1 wire and print the same lines.
func TestAgainstNngperf(t *testing.T) {
	bin := nngperf(t)
	urls := map[string]func() string{
		"tcp": func() string { return fmt.Sprintf("tcp://127.0.0.1:%d", interop.FreeTCPPort(t)) },
		"ipc": func() string { return "ipc://" + interop.IPCPath(t) },
	}
	for _, tr := range []string{"tcp", "ipc"} {
		for _, c := range []struct {
			name          string
			local, remote string
			spLocal       bool
			want          string
		}{
			{"sp-local_thr", "local_thr", "remote_thr", true, "throughput"},
			{"nng-local_thr", "local_thr", "remote_thr", false, "throughput"},
			{"sp-local_lat", "local_lat", "remote_lat", true, "average latency"},
			{"nng-local_lat", "local_lat", "remote_lat", false, "average latency"},
		} {
			t.Run(tr+"/"+c.name, func(t *testing.T) {
				url := urls[tr]()
				args := func(mode string) []string { return []string{mode, url, "64", "2000"} }
				// Throughput is printed by the local end, latency by the
				// remote one.
				var out, rout bytes.Buffer
				if c.spLocal {
					done := make(chan int, 1)
					var errb bytes.Buffer
					go func() { done <- run(args(c.local), &out, &errb) }()
					rout.Write(runNngperfRemote(t, bin, args(c.remote)))
					require.Equal(t, 0, <-done, "spperf %s; stderr: %s", c.local, errb.String())
				} else {
					local := exec.Command(bin, args(c.local)...)
					local.Stdout = &out
					require.NoError(t, local.Start())
					t.Cleanup(func() { local.Process.Kill(); local.Wait() })
					var code int
					for i := 0; i < 100; i++ { // until nngperf listens
						rout.Reset()
						if code = run(args(c.remote), &rout, &bytes.Buffer{}); code == 0 {
							break
						}
						time.Sleep(20 * time.Millisecond)
					}
					require.Equal(t, 0, code, "spperf %s", c.remote)
					require.NoError(t, local.Wait(), "nngperf %s", c.local)
				}
				if c.want == "average latency" {
					out = rout
				}
				require.Contains(t, out.String(), c.want+":", "the measuring end printed %q", out.String())
			})
		}
	}
}

// runNngperfRemote runs nngperf's dialing end, retrying while the local end
// is not listening yet (nngperf dials once).
func runNngperfRemote(t *testing.T, bin string, args []string) []byte {
	t.Helper()
	var out []byte
	var err error
	for i := 0; i < 100; i++ {
		if out, err = exec.Command(bin, args...).CombinedOutput(); err == nil {
			return out
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("nngperf %v: %v\n%s", args, err, out)
	return nil
}
