package stream

import (
	"errors"
	"syscall"
)

// IsRefused reports whether err says that nobody listens at the address
// dialed: ECONNREFUSED, or WSAECONNREFUSED on Windows, whose syscall
// package has an ECONNREFUSED of its own that no socket call returns.
func IsRefused(err error) bool {
	return errors.Is(err, syscall.ECONNREFUSED) || isRefusedOS(err)
}
