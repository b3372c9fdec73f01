//go:build unix

package ws_test

import (
	"os/exec"
	"syscall"
)

// ownGroup makes cmd start in a process group of its own, so that
// killGroup reaches what it starts in turn (Chromium's helpers).
func ownGroup(cmd *exec.Cmd) { cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} }

// killGroup kills cmd's process group.
func killGroup(cmd *exec.Cmd) { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
