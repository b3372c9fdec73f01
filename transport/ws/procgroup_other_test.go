//go:build !unix

package ws_test

import "os/exec"

// ownGroup does nothing here: there are no process groups to make.
func ownGroup(*exec.Cmd) {}

// killGroup kills cmd's process alone.
func killGroup(cmd *exec.Cmd) { _ = cmd.Process.Kill() }
