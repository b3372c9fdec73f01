package core

// The role watcher hands a read role that receivers left idle between two
// calls of Recv back to the pipe's reader goroutine when the peer ends the
// connection (or it fails), so that a socket nobody receives on still
// notices its peer leaving: the reader reads what is left and the end, and
// the pipe goes as it always does (see recvdirect.go).
//
// It is one goroutine for the process, blocked in epoll_wait on an epoll
// set of its own, which holds the connections whose role is with receivers
// (see rolewatch_linux.go). It waits for the end of the stream alone, not
// for data: it costs nothing per message, and no timer. Tried and measured
// on an idle 2-core machine, over loopback tcp: a runtime timer that keeps
// firing, one armed and stopped around every message, a thread that wakes
// every few milliseconds, and the watcher also waiting for data while a
// role lies idle (a reply often arrives before the receiver is back, so it
// woke for nearly every message) each slowed a ping-pong two- to six-fold.
// Elsewhere than on Linux receivers do not read tcp and ipc pipes
// (canWatch). A connection that tells when it ends (sp.EndNotifier: inproc)
// needs no watcher: it calls stirred itself.

import "errors"

// errEnded says that a connection ended before its role could be watched.
var errEnded = errors.New("core: the connection has ended")

// watchRole arranges for r.stirred to be called when the peer ends r's
// connection; under r.mu.
func watchRole(r *readRole) error {
	if r.ends == nil {
		return watchFD(r)
	}
	if !r.ends.NotifyEnd(r.stirred) {
		return errEnded
	}
	r.told = true
	return nil
}

// unwatchRole undoes watchRole, if it was done; under r.mu.
func unwatchRole(r *readRole) {
	if r.ends == nil {
		unwatchFD(r)
		return
	}
	if r.told {
		r.ends.NotifyEnd(nil)
		r.told = false
	}
}
