package core

import "github.com/spgo/sp"

// Test hooks for recvdirect_test.go: where a socket's read role is, and
// what the role watcher watches. s must be a socket of this package.

// RoleHeld reports whether s's receivers hold a pipe's read role (idle, or
// with one of them reading).
func RoleHeld(s sp.Socket) bool {
	p := s.(*Socket).held.Load()
	if p == nil || p.rr == nil {
		return false
	}
	return p.rr.st.Load() >= roleIdle
}

// RoleBusy reports whether one of s's receivers is reading its pipe itself
// now.
func RoleBusy(s sp.Socket) bool {
	p := s.(*Socket).held.Load()
	if p == nil || p.rr == nil {
		return false
	}
	st := p.rr.st.Load()
	return st == roleBusy || st == roleBack
}

// RecvWaiting reports whether a receiver of s waits on its receive queue.
func RecvWaiting(s sp.Socket) bool { return s.(*Socket).RecvQ.Waiting() }

// CanWatch reports whether the role watcher works on this system.
const CanWatch = canWatch
