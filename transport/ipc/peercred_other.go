//go:build !linux

package ipc

import (
	"fmt"
	"net"
	"runtime"

	"github.com/spgo/sp"
)

func peerCreds(net.Conn) creds {
	return creds{err: fmt.Errorf("%w: peer credentials on %s", sp.ErrNotSupported, runtime.GOOS)}
}
