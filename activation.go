package sp

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
)

// The environment of systemd socket activation (sd_listen_fds(3)).
const (
	envListenPID   = "LISTEN_PID"
	envListenFDs   = "LISTEN_FDS"
	envListenNames = "LISTEN_FDNAMES"

	// listenFDsStart is the first descriptor passed: 0, 1 and 2 are
	// stdin, stdout and stderr.
	listenFDsStart = 3
)

// ActivationListeners returns the listening sockets that systemd (or
// another service manager following sd_listen_fds(3): systemd-socket-
// activate, s6, launchers in containers) passed to the process, in order,
// as net.Listeners to serve with Socket.ListenOn:
//
//	ls, err := sp.ActivationListeners()
//	if err != nil { ... }
//	for _, l := range ls {
//		if _, err := s.ListenOn(l); err != nil { ... }
//	}
//
// The manager passes them as descriptors 3, 4, ..., with LISTEN_FDS set
// to how many and LISTEN_PID to the process's id. When LISTEN_PID or
// LISTEN_FDS is unset, or LISTEN_PID names another process (the variables
// were meant for a parent), ActivationListeners returns no listeners and no
// error, as sd_listen_fds returns 0. Like sd_listen_fds(1), it unsets
// LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES in every case, so that child
// processes do not take the descriptors for theirs, and marks the
// descriptors close-on-exec; call it once.
//
// Each descriptor must be a listening stream socket (TCP or Unix, as in a
// systemd .socket unit's ListenStream=); the listener owns a duplicate and
// the original descriptor is closed. A malformed LISTEN_PID or LISTEN_FDS,
// a LISTEN_FDNAMES with a count of names other than LISTEN_FDS, or a
// descriptor that is not a listening stream socket fails the call with an
// error wrapping ErrActivation; every passed descriptor is closed then.
// See NamedActivationListeners for the names of LISTEN_FDNAMES (a .socket
// unit's FileDescriptorName=).
//
// On systems without Unix descriptors (Windows, Plan 9, js, wasip1)
// ActivationListeners returns an error wrapping ErrNotSupported when
// LISTEN_FDS is set, and nothing otherwise.
func ActivationListeners() ([]net.Listener, error) {
	ls, _, err := activationListeners()
	return ls, err
}

// NamedActivationListeners is ActivationListeners with the name of each
// listener, from LISTEN_FDNAMES (colon-separated, one per descriptor: a
// .socket unit's FileDescriptorName=, by default the unit's name): several
// descriptors may share a name, so the map holds the listeners of each
// name in order. Descriptors passed without LISTEN_FDNAMES are named
// "unknown", as systemd's sd_listen_fds_with_names does.
func NamedActivationListeners() (map[string][]net.Listener, error) {
	ls, names, err := activationListeners()
	if err != nil || len(ls) == 0 {
		return nil, err
	}
	m := make(map[string][]net.Listener)
	for i, l := range ls {
		m[names[i]] = append(m[names[i]], l)
	}
	return m, nil
}

// activationEnv reads and unsets the activation variables. It returns the
// number of descriptors passed to this process and their names, n == 0
// when there are none for it.
func activationEnv() (n int, names []string, err error) {
	pid, havePID := os.LookupEnv(envListenPID)
	fds, haveFDs := os.LookupEnv(envListenFDs)
	nameList, haveNames := os.LookupEnv(envListenNames)
	os.Unsetenv(envListenPID)
	os.Unsetenv(envListenFDs)
	os.Unsetenv(envListenNames)
	if !havePID || !haveFDs {
		return 0, nil, nil
	}
	p, err := strconv.Atoi(strings.TrimSpace(pid))
	if err != nil || p <= 0 {
		return 0, nil, fmt.Errorf("%w: %s=%q is not a process id", ErrActivation, envListenPID, pid)
	}
	if p != os.Getpid() {
		return 0, nil, nil // meant for another process
	}
	n, err = strconv.Atoi(strings.TrimSpace(fds))
	if err != nil || n < 0 {
		return 0, nil, fmt.Errorf("%w: %s=%q is not a count of descriptors", ErrActivation, envListenFDs, fds)
	}
	if n > maxActivationFDs {
		return 0, nil, fmt.Errorf("%w: %s=%d is more descriptors than a process has", ErrActivation, envListenFDs, n)
	}
	if n == 0 {
		return 0, nil, nil
	}
	if !haveNames {
		names = make([]string, n)
		for i := range names {
			names[i] = "unknown"
		}
		return n, names, nil
	}
	names = strings.Split(nameList, ":")
	if len(names) != n {
		return n, nil, fmt.Errorf("%w: %s has %d names for %s=%d descriptors",
			ErrActivation, envListenNames, len(names), envListenFDs, n)
	}
	return n, names, nil
}

// maxActivationFDs bounds LISTEN_FDS, so that a wild value cannot make
// the call close descriptors it was never given by the million.
const maxActivationFDs = 1 << 16
