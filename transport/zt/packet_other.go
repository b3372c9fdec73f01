//go:build !linux

package zt

import (
	"fmt"

	"github.com/spgo/sp"
)

// OpenPacketLink is only available on Linux.
func OpenPacketLink(name string) (Link, error) {
	return nil, fmt.Errorf("%w: zt: AF_PACKET links need Linux", sp.ErrNotSupported)
}
