package zt

import "net"

// firstOctet is the first octet of every MAC on network nwid: the low byte
// of the network id with the multicast bit cleared and the locally
// administered bit set, except that 0x52 (used by KVM) becomes 0x32.
func firstOctet(nwid uint64) byte {
	a := byte(nwid&0xfe) | 0x02
	if a == 0x52 {
		return 0x32
	}
	return a
}

// macMask is what ZeroTier XORs the node id with: the network id's bytes
// 1..5, in reverse order.
func macMask(nwid uint64) uint64 {
	return ((nwid>>8)&0xff)<<32 ^ ((nwid>>16)&0xff)<<24 ^ ((nwid>>24)&0xff)<<16 ^
		((nwid>>32)&0xff)<<8 ^ (nwid>>40)&0xff
}

// MACFor returns the MAC address ZeroTier gives node (40 bits) on network
// nwid.
func MACFor(node, nwid uint64) net.HardwareAddr {
	m := macFor(node, nwid)
	return net.HardwareAddr(m[:])
}

func macFor(node, nwid uint64) [6]byte {
	v := uint64(firstOctet(nwid))<<40 | (node&nodeMask ^ macMask(nwid))
	return [6]byte{byte(v >> 40), byte(v >> 32), byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}
}

// NodeFor returns the node id behind a MAC address on network nwid, the
// reverse of MACFor. ok is false if mac is not 6 bytes or not a MAC of
// that network (its first octet differs).
func NodeFor(mac net.HardwareAddr, nwid uint64) (node uint64, ok bool) {
	if len(mac) != 6 {
		return 0, false
	}
	return nodeFor([6]byte(mac), nwid)
}

func nodeFor(mac [6]byte, nwid uint64) (uint64, bool) {
	if mac[0] != firstOctet(nwid) {
		return 0, false
	}
	v := uint64(mac[1])<<32 | uint64(mac[2])<<24 | uint64(mac[3])<<16 | uint64(mac[4])<<8 | uint64(mac[5])
	return v ^ macMask(nwid), true
}
