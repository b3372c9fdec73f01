package udp

import (
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/spgo/sp"
)

// url is a parsed udp://, udp4:// or udp6:// address.
type url struct {
	network string // "udp", "udp4" or "udp6", for package net
	host    string // "" for every interface
	port    uint16
}

func badURL(addr, why string, args ...any) error {
	return fmt.Errorf("%w: %q: %s", sp.ErrBadURL, addr, fmt.Sprintf(why, args...))
}

// parseURL parses udp://host:port (udp4:// and udp6:// keep to one address
// family). A listener may leave the host empty or "*" to bind every
// interface, and use port 0 for a free one; a dialer needs both. As in
// nng, a bare trailing "/" is allowed, and nothing else after the port.
func parseURL(addr string, listen bool) (url, error) {
	scheme, rest, ok := strings.Cut(addr, "://")
	if !ok || (scheme != "udp" && scheme != "udp4" && scheme != "udp6") {
		return url{}, badURL(addr, "want udp://host:port (or udp4://, udp6://)")
	}
	rest = strings.TrimSuffix(rest, "/")
	if strings.ContainsAny(rest, "/?#@") {
		return url{}, badURL(addr, "a udp address has no path, query, fragment or user")
	}
	host, port, err := net.SplitHostPort(rest)
	if err != nil {
		return url{}, badURL(addr, "%v", err)
	}
	n, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		return url{}, badURL(addr, "port %q is not a number from 0 to 65535", port)
	}
	if host == "*" {
		host = ""
	}
	if !listen && (host == "" || n == 0) {
		return url{}, badURL(addr, "dialing needs a host and a non-zero port")
	}
	return url{network: scheme, host: host, port: uint16(n)}, nil
}

// hostPort returns the address for package net.
func (u url) hostPort() string { return net.JoinHostPort(u.host, strconv.Itoa(int(u.port))) }

// ipNetwork returns the network name for a host lookup.
func (u url) ipNetwork() string {
	switch u.network {
	case "udp4":
		return "ip4"
	case "udp6":
		return "ip6"
	}
	return "ip"
}
