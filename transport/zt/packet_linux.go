//go:build linux

package zt

import (
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/spgo/sp"
)

// packetLink is a Link over an AF_PACKET datagram socket bound to one
// interface and to ethertype 0x0901: the kernel adds and strips the
// Ethernet header.
type packetLink struct {
	f       *os.File
	rc      syscall.RawConn
	ifindex int
	mac     [6]byte
	mtu     int
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

// OpenPacketLink opens an AF_PACKET link on the named interface (it needs
// CAP_NET_RAW).
func OpenPacketLink(name string) (Link, error) {
	ifi, err := net.InterfaceByName(name)
	if err != nil {
		return nil, fmt.Errorf("%w: zt interface %q: %v", errNoInterface, name, err)
	}
	if len(ifi.HardwareAddr) != 6 {
		return nil, fmt.Errorf("%w: zt interface %q has no Ethernet address", errNoInterface, name)
	}
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_DGRAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, int(htons(EtherType)))
	if err != nil {
		return nil, fmt.Errorf("zt: AF_PACKET socket on %s: %w", name, err)
	}
	if err := unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: htons(EtherType), Ifindex: ifi.Index}); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("zt: binding to %s: %w", name, err)
	}
	// Room for a burst of fragments: the protocol has no flow control.
	const buf = 16 << 20
	if unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, buf) != nil {
		unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, buf)
	}
	f := os.NewFile(uintptr(fd), "zt:"+name)
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, err
	}
	return &packetLink{f: f, rc: rc, ifindex: ifi.Index, mac: [6]byte(ifi.HardwareAddr), mtu: ifi.MTU}, nil
}

func (l *packetLink) MAC() [6]byte { return l.mac }
func (l *packetLink) MTU() int     { return l.mtu }

func (l *packetLink) WriteFrame(dst [6]byte, payload []byte) error {
	to := &unix.SockaddrLinklayer{Protocol: htons(EtherType), Ifindex: l.ifindex, Halen: 6}
	copy(to.Addr[:], dst[:])
	for tries := 0; ; tries++ {
		var serr error
		err := l.rc.Write(func(fd uintptr) bool {
			serr = unix.Sendto(int(fd), payload, 0, to)
			return serr != unix.EAGAIN
		})
		if err != nil {
			return mapClosed(err)
		}
		// The device queue is full: wait for it to drain a little.
		if errors.Is(serr, unix.ENOBUFS) && tries < 100 {
			time.Sleep(time.Millisecond)
			continue
		}
		return serr
	}
}

func (l *packetLink) ReadFrame(buf []byte) (int, [6]byte, error) {
	for {
		var n int
		var from unix.Sockaddr
		var rerr error
		err := l.rc.Read(func(fd uintptr) bool {
			n, from, rerr = unix.Recvfrom(int(fd), buf, 0)
			return rerr != unix.EAGAIN
		})
		if err != nil {
			return 0, [6]byte{}, mapClosed(err)
		}
		if rerr != nil {
			if rerr == unix.EINTR {
				continue
			}
			return 0, [6]byte{}, rerr
		}
		ll, ok := from.(*unix.SockaddrLinklayer)
		// Only frames addressed to this interface: not our own going
		// out, nor others' seen in promiscuous mode.
		if !ok || ll.Halen != 6 || ll.Pkttype != unix.PACKET_HOST {
			continue
		}
		return n, [6]byte(ll.Addr[:6]), nil
	}
}

func (l *packetLink) Close() error { return l.f.Close() }

func mapClosed(err error) error {
	if errors.Is(err, os.ErrClosed) {
		return sp.ErrClosed
	}
	return err
}
