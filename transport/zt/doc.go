// Package zt implements the zt:// transport: SP over ZeroTier's virtual
// Ethernet, speaking nanomsg's sp-zerotier-v0 mapping, the one nng's zt
// transport speaks.
//
// # Addresses
//
// An address is zt://<node>.<network>:<port>: the node id as 10 hex
// digits (or * for this host's node), the 64-bit network id as 16 hex
// digits, and a 24-bit port in decimal. A listener on port 0 gets an
// ephemeral port (0x800000 and above); read it back from Listener.Addr,
// an *Addr whose String is the URL to dial. Dialers always use ephemeral
// ports.
//
//	l, err := s.NewListener("zt://*.8056c2e21c000001:5555")
//	err = c.Dial("zt://a1b2c3d4e5.8056c2e21c000001:5555")
//
// # On the wire
//
// Every frame is one Ethernet frame of ethertype 0x0901 with a 12-byte
// header (op, flags, version 1, destination and source ports). A dialer
// sends CONN-REQ with its SP protocol id, again every ConnectTime up to
// ConnectTries times, until the listener answers CONN-ACK with its own, or
// ERR (refused: nothing listens on the port; bad protocol: the protocols
// are not peers). A message travels in DATA frames of at most MTU-20 bytes
// of payload, reassembled by message id; a message that loses a fragment
// is dropped whole after a while, never delivered damaged. A message
// larger than the receiver's sp.RecvMaxSize closes the connection (the
// receiver sends ERR "message too big"), and nothing is allocated for what
// a fragment claims: buffers grow with the fragments that arrive. An idle
// connection PINGs its peer after PingTime and gives up after PingTries
// unanswered pings. Close sends DISC.
//
// There is no flow control or retransmission, as in nng: a frame the
// network or a receiver's buffer drops takes its message with it. The
// transport sizes its socket buffer for bursts and reassembles messages
// as their frames arrive. A connection queues up to 512 whole messages
// for its receiver, and past the eighth no more than 4 MiB; a message
// from the network that finds no room is dropped, so that a connection
// nobody reads never holds up the others on the interface. Within one
// process a sender waits for a slow receiver instead.
//
// # Using it with ZeroTier
//
// Install ZeroTier One, join the network (zerotier-cli join <nwid>) and
// authorize the host in the network's controller. ZeroTier One then has a
// zt* interface for the network. The transport opens an AF_PACKET socket
// on it (root or CAP_NET_RAW is needed), finds it from the network id (by
// ZeroTier One's devicemap, or as the only zt* interface with a MAC of the
// network), or takes its name from the Interface option. The host's node
// id is derived from the interface's MAC (see NodeFor).
//
// The network's flow rules must let ethertype 0x0901 through. The default
// rules of a new network in ZeroTier Central do not: they allow IPv4, ARP
// and IPv6 only. Add, before the final accept, a rule such as
//
//	accept ethertype 0x0901;
//
// or drop the "drop not ethertype ..." lines. The interface's MTU (2800
// by default on ZeroTier) sets the fragment size.
//
// # Differences from nng
//
// nng's zt transport embeds libzerotiercore: each process is a ZeroTier
// node of its own, with its own identity and home directory
// (NNG_OPT_ZT_HOME), talking to ZeroTier's roots over UDP itself. This one
// embeds nothing: it uses the host's ZeroTier One and its interface, so
// the node is the host's, and sockets of one process share it, told apart
// by port. The wire is the same, so the two interoperate over one network
// where nng's node and the host are both members. Options nng has for its
// embedded node (home directory, orbit, deorbit, network status, node
// addition) have no meaning here.
//
// Only one process per host should use zt:// on a given network: each
// process sees every 0x0901 frame of the interface and answers frames for
// ports it does not know with errors, which would break another
// process's connections.
//
// Frames are not padded to Ethernet's minimum size on ZeroTier or veth
// interfaces. On a physical Ethernet, which pads short frames, a short
// last fragment would carry the padding: use zt:// over ZeroTier.
//
// # Testing without ZeroTier
//
// A MemorySwitch carries frames between sockets of one process; select it
// with the Switch option and choose each side's node with LocalNode. Two
// network namespaces joined by a veth pair, with MACs set by MACFor, work
// like two ZeroTier hosts.
//
// The package registers the transport with sp.RegisterTransport in its
// init function.
package zt
