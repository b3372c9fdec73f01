//go:build !linux

package core

// WatchedRoles returns how many connections the role watcher watches: none,
// as there is no role watcher here.
func WatchedRoles() int { return 0 }
