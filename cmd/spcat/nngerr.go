package main

import (
	"errors"
	"strings"
	"syscall"

	"github.com/spgo/sp"
)

// nngError words err as nng_strerror would, so that spcat's messages read
// as nngcat's ("Unable to dial on URL: Connection refused"). Errors nng has
// no word for keep sp's own text.
func nngError(err error, url string) string {
	switch {
	case errors.Is(err, sp.ErrTimeout):
		return "Timed out"
	case errors.Is(err, sp.ErrConnRefused):
		return "Connection refused"
	case errors.Is(err, sp.ErrAddrInUse):
		return "Address in use"
	case errors.Is(err, sp.ErrClosed):
		return "Object closed"
	case errors.Is(err, sp.ErrBadState):
		return "Incorrect state"
	case errors.Is(err, sp.ErrNotSupported):
		return "Not supported"
	case errors.Is(err, sp.ErrBadURL):
		i := strings.Index(url, "://")
		switch {
		case i <= 0:
			return "Invalid argument"
		case sp.LookupTransport(url[:i]) == nil:
			return "Not supported"
		}
		return "Address invalid"
	case errors.Is(err, syscall.EADDRNOTAVAIL), errors.Is(err, sp.ErrNoHost):
		return "Address invalid"
	case errors.Is(err, syscall.EACCES), errors.Is(err, syscall.EPERM):
		return "Permission denied"
	case errors.Is(err, sp.ErrTooLarge):
		return "Message too large"
	case errors.Is(err, sp.ErrBadProtocol):
		return "Protocol error"
	}
	return strings.TrimPrefix(err.Error(), "sp: ")
}
