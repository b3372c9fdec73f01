package zt

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/spgo/sp"
)

const (
	nodeMask = 1<<40 - 1
	// maxPort is the largest port: ports are 24 bits.
	maxPort = 1<<24 - 1
	// ephemeralBase is the first ephemeral port: a listener on port 0 and
	// every dialer get one from ephemeralBase..maxPort.
	ephemeralBase = 0x800000
)

// Addr is the address of a zt endpoint: a node, a network and a port. Its
// String is the URL, zt://<node>.<nwid>:<port>.
type Addr struct {
	Node uint64 // 40 bits
	NWID uint64
	Port uint32 // 24 bits
}

// Network returns "zt".
func (a *Addr) Network() string { return "zt" }

// String returns the address as a URL.
func (a *Addr) String() string {
	return fmt.Sprintf("zt://%010x.%016x:%d", a.Node, a.NWID, a.Port)
}

// url is a parsed zt:// URL.
type url struct {
	node     uint64
	anyNode  bool // "*": the local node
	nwid     uint64
	port     uint32
	original string
}

func badURL(addr, why string, args ...any) error {
	return fmt.Errorf("%w: %q: %s", sp.ErrBadURL, addr, fmt.Sprintf(why, args...))
}

// parseURL parses zt://<node>.<nwid>:<port>. A dialer needs a non-zero
// port.
func parseURL(addr string, dial bool) (url, error) {
	u := url{original: addr}
	rest, ok := strings.CutPrefix(addr, "zt://")
	if !ok || rest == "" {
		return u, badURL(addr, "want zt://<node>.<network>:<port>")
	}
	if strings.ContainsAny(rest, "/?#") {
		return u, badURL(addr, "a zt address has no path")
	}
	hp, port, ok := strings.Cut(rest, ":")
	if !ok {
		return u, badURL(addr, "missing port")
	}
	node, nwid, ok := strings.Cut(hp, ".")
	if !ok {
		return u, badURL(addr, "want <node>.<network> before the port")
	}
	if node == "*" {
		u.anyNode = true
	} else {
		n, err := strconv.ParseUint(node, 16, 64)
		if len(node) != 10 || err != nil {
			return u, badURL(addr, "node %q is not 10 hex digits (or * for the local node)", node)
		}
		u.node = n
	}
	n, err := strconv.ParseUint(nwid, 16, 64)
	if len(nwid) != 16 || err != nil {
		return u, badURL(addr, "network id %q is not 16 hex digits", nwid)
	}
	u.nwid = n
	p, err := strconv.ParseUint(port, 10, 32)
	if err != nil || p > maxPort {
		return u, badURL(addr, "port %q is not a number from 0 to %d", port, maxPort)
	}
	u.port = uint32(p)
	if dial && p == 0 {
		return u, badURL(addr, "dialing needs a non-zero port")
	}
	return u, nil
}
