//go:build unix

package sp

import (
	"fmt"
	"net"
	"os"
	"syscall"
)

// activationListeners takes the descriptors the environment passes.
func activationListeners() ([]net.Listener, []string, error) {
	n, names, err := activationEnv()
	var ls []net.Listener
	if err == nil {
		ls = make([]net.Listener, 0, n)
	}
	for i := range n {
		fd := listenFDsStart + i
		syscall.CloseOnExec(fd)
		if err != nil {
			syscall.Close(fd) // a failed call takes every descriptor
			continue
		}
		var l net.Listener
		if l, err = fileListener(fd, names[i]); err != nil {
			for _, l := range ls {
				l.Close()
			}
			ls = nil
			continue
		}
		ls = append(ls, l)
	}
	if err != nil {
		return nil, nil, err
	}
	return ls, names, nil
}

// fileListener makes a listener of descriptor fd, which it closes.
func fileListener(fd int, name string) (net.Listener, error) {
	f := os.NewFile(uintptr(fd), name)
	defer f.Close()
	typ, err := syscall.GetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_TYPE)
	if err != nil {
		return nil, fmt.Errorf("%w: descriptor %d (%s) is not a socket: %w", ErrActivation, fd, name, err)
	}
	if typ != syscall.SOCK_STREAM {
		return nil, fmt.Errorf("%w: descriptor %d (%s) is not a stream socket", ErrActivation, fd, name)
	}
	if on, err := syscall.GetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_ACCEPTCONN); err == nil && on == 0 {
		return nil, fmt.Errorf("%w: descriptor %d (%s) is not listening", ErrActivation, fd, name)
	}
	l, err := net.FileListener(f)
	if err != nil {
		return nil, fmt.Errorf("%w: descriptor %d (%s): %w", ErrActivation, fd, name, err)
	}
	return l, nil
}
