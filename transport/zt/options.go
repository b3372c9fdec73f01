package zt

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spgo/sp"
)

// Options of the zt transport. Set them on a socket, dialer or listener:
//
//	s.Listen("zt://*.8056c2e21c000001:5555", sp.With(zt.Interface, "ztabcdef12"))
var (
	// Interface names the network interface that carries the network,
	// on a host running ZeroTier One its zt* interface. The default, "",
	// finds it from the network id: the interface ZeroTier One's
	// devicemap names for the network, or else the one interface whose MAC
	// is a MAC of the network (see MACFor).
	Interface = sp.NewOption[string]("zt:interface")
	// MTU is the largest frame payload to send (fragments carry MTU-20
	// bytes of a message). The default, 0, uses the interface's MTU; a
	// larger value than the interface's is cut to it. Also a pipe
	// property.
	MTU = sp.NewOption[int]("zt:mtu")
	// ConnectTime is how long a dialer waits for an answer to its
	// connection request before it sends another (default 1 s).
	ConnectTime = sp.NewOption[time.Duration]("zt:connect-time")
	// ConnectTries is how many connection requests a dialer sends before
	// it gives up with sp.ErrTimeout (default 10). The socket's
	// HandshakeTimeout bounds the whole attempt too.
	ConnectTries = sp.NewOption[int]("zt:connect-tries")
	// PingTime is how long a connection may be idle before it pings its
	// peer, and how long it waits between pings (default 60 s).
	PingTime = sp.NewOption[time.Duration]("zt:ping-time")
	// PingTries is how many pings may go unanswered before the connection
	// is closed (default 5).
	PingTries = sp.NewOption[int]("zt:ping-tries")
	// LocalNode is this host's node id (40 bits). On an interface it is
	// derived from the interface's MAC and the network id; set, it must
	// match. With a MemorySwitch it chooses the node, and is required.
	// Also a pipe property.
	LocalNode = sp.NewOption[uint64]("zt:local-node")
	// Switch, set, carries frames through an in-memory switch instead of
	// a network interface: for tests. Default nil.
	Switch = sp.NewOption[*MemorySwitch]("zt:switch")
	// RemoteNode is a pipe property: the peer's node id.
	RemoteNode = sp.NewOption[uint64]("zt:remote-node")
)

func init() {
	positive := func(d time.Duration) error {
		if d <= 0 {
			return fmt.Errorf("%v is not positive", d)
		}
		return nil
	}
	atLeastOne := func(n int) error {
		if n < 1 {
			return fmt.Errorf("%d is less than 1", n)
		}
		return nil
	}
	sp.RegisterOption(Interface, "", nil)
	sp.RegisterOption(MTU, 0, func(n int) error {
		if n != 0 && (n < minFrameSize || n > 65535) {
			return fmt.Errorf("%d is not 0 or from %d to 65535", n, minFrameSize)
		}
		return nil
	})
	sp.RegisterOption(ConnectTime, time.Second, positive)
	sp.RegisterOption(ConnectTries, 10, atLeastOne)
	sp.RegisterOption(PingTime, time.Minute, positive)
	sp.RegisterOption(PingTries, 5, atLeastOne)
	sp.RegisterOption(LocalNode, 0, func(n uint64) error {
		if n > nodeMask {
			return fmt.Errorf("node id %x is over 40 bits", n)
		}
		return nil
	})
	sp.RegisterOption(Switch, nil, nil)
}

// settings are the option values an endpoint reads when it starts.
type settings struct {
	iface        string
	mtu          int
	connectTime  time.Duration
	connectTries int
	pingTime     time.Duration
	pingTries    int
	localNode    uint64
	sw           *MemorySwitch
	recvMax      int // sp.RecvMaxSize: reassembly stops there
}

func get[T any](cfg sp.OptionGetter, o sp.Option[T], def T) T {
	v, err := sp.GetOption(cfg, o)
	if err != nil {
		return def
	}
	return v
}

func readSettings(cfg sp.OptionGetter) settings {
	return settings{
		iface:        get(cfg, Interface, ""),
		mtu:          get(cfg, MTU, 0),
		connectTime:  get(cfg, ConnectTime, time.Second),
		connectTries: get(cfg, ConnectTries, 10),
		pingTime:     get(cfg, PingTime, time.Minute),
		pingTries:    get(cfg, PingTries, 5),
		localNode:    get(cfg, LocalNode, 0),
		sw:           get[*MemorySwitch](cfg, Switch, nil),
		recvMax:      get(cfg, sp.RecvMaxSize, 1<<20),
	}
}

// devicemap is where ZeroTier One records the interface of each network.
var devicemap = "/var/lib/zerotier-one/devicemap"

// findInterface returns the interface of network nwid: the one ZeroTier
// One's devicemap names, or else the only one whose MAC belongs to nwid.
func findInterface(nwid uint64) (string, error) {
	if f, err := os.Open(devicemap); err == nil {
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			k, v, ok := strings.Cut(strings.TrimSpace(sc.Text()), "=")
			if n, err := strconv.ParseUint(k, 16, 64); ok && err == nil && n == nwid && v != "" {
				return v, nil
			}
		}
	}
	ifs, err := net.Interfaces()
	if err != nil {
		return "", err
	}
	var found []string
	for _, ifi := range ifs {
		if len(ifi.HardwareAddr) == 6 && ifi.HardwareAddr[0] == firstOctet(nwid) && strings.HasPrefix(ifi.Name, "zt") {
			found = append(found, ifi.Name)
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return "", fmt.Errorf("%w for network %016x: is ZeroTier One running and joined to it? (or set zt.Interface)", errNoInterface, nwid)
	}
	return "", fmt.Errorf("%w for network %016x: several candidates %v; set zt.Interface", errNoInterface, nwid, found)
}

// OptionValue implements sp.OptionGetter for a pipe's properties.
func (c *conn) OptionValue(name string) (any, error) {
	switch name {
	case LocalNode.Name():
		return c.n.id, nil
	case RemoteNode.Name():
		return c.rnode, nil
	case MTU.Name():
		return c.mtu, nil
	}
	return nil, fmt.Errorf("%w: a zt pipe has no property %q", sp.ErrBadOption, name)
}
