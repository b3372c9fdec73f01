//go:build !windows

package stream

func isRefusedOS(error) bool { return false }
