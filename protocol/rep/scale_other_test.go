//go:build !linux

package rep_test

import "os/exec"

// raiseFDLimit leaves the limit to the Go runtime, which raises the soft
// RLIMIT_NOFILE on Unix systems at startup; 0 means unknown.
func raiseFDLimit() (uint64, error) { return 0, nil }

// dieWithParent does nothing: the child exits at the end of its stdin.
func dieWithParent(*exec.Cmd) {}
