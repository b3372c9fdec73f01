package main

import (
	"bytes"
	"context"
	"errors"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spgo/sp/internal/interop"
	"github.com/spgo/sp/internal/leaktest"
)

func TestMain(m *testing.M) { leaktest.VerifyTestMain(m) }

// result is what one run of a tool printed and its exit status.
type result struct {
	Stdout, Stderr string
	Code           int
}

// syncBuf is a bytes.Buffer safe for concurrent use.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// runSpcat runs spcat in this process.
func runSpcat(stdin string, args ...string) result {
	var out, errb syncBuf
	code := run(args, strings.NewReader(stdin), &out, &errb)
	return result{out.String(), errb.String(), code}
}

// runNngcat runs nngcat to its end (at most 20 s); it skips the test
// without nngcat, unless SP_INTEROP=require.
func runNngcat(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	path := interop.Tool(t, "nngcat")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, args...)
	var out, errb bytes.Buffer
	cmd.Stdin = strings.NewReader(stdin)
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("nngcat %v: %v", args, err)
	}
	return result{out.String(), errb.String(), code}
}
