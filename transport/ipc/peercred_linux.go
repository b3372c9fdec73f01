package ipc

import (
	"fmt"
	"net"
	"syscall"

	"golang.org/x/sys/unix"
)

// peerCreds reads SO_PEERCRED: the credentials the peer had when it
// connected (or, for a dialer, when the listener called listen).
func peerCreds(c net.Conn) creds {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return creds{err: fmt.Errorf("peer credentials of a %T are unknown", c)}
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return creds{err: err}
	}
	var uc *unix.Ucred
	var serr error
	if err := rc.Control(func(fd uintptr) {
		uc, serr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	}); err != nil {
		return creds{err: err}
	}
	if serr != nil {
		return creds{err: fmt.Errorf("SO_PEERCRED: %w", serr)}
	}
	return creds{uid: int(uc.Uid), gid: int(uc.Gid), pid: int(uc.Pid)}
}
