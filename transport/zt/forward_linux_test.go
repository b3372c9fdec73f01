//go:build linux

package zt_test

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// rawSock is an AF_PACKET raw socket on one interface for ethertype
// 0x0901: it reads and writes whole Ethernet frames.
type rawSock struct {
	f       *os.File
	ifindex int
}

func openRaw(name string) (*rawSock, error) {
	ifi, err := net.InterfaceByName(name)
	if err != nil {
		return nil, err
	}
	proto := uint16(0x0109) // htons(0x0901)
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, int(proto))
	if err != nil {
		return nil, err
	}
	if err := unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: proto, Ifindex: ifi.Index}); err != nil {
		unix.Close(fd)
		return nil, err
	}
	unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, 16<<20)
	return &rawSock{f: os.NewFile(uintptr(fd), name), ifindex: ifi.Index}, nil
}

// pumpCounts counts what a pump did with the frames it read.
type pumpCounts struct {
	read, dropped, sent, failed atomic.Int64
}

func (c *pumpCounts) String() string {
	return fmt.Sprintf("read %d, dropped %d, sent %d, failed %d",
		c.read.Load(), c.dropped.Load(), c.sent.Load(), c.failed.Load())
}

// pump copies frames from one interface to the other, dropping pct% of
// them at random, until from is closed.
func pump(from, to *rawSock, pct int, c *pumpCounts) {
	rc, err := from.f.SyscallConn()
	if err != nil {
		return
	}
	wc, err := to.f.SyscallConn()
	if err != nil {
		return
	}
	buf := make([]byte, 65536)
	for {
		var n int
		var sa unix.Sockaddr
		var rerr error
		if err := rc.Read(func(fd uintptr) bool {
			n, sa, rerr = unix.Recvfrom(int(fd), buf, 0)
			return rerr != unix.EAGAIN
		}); err != nil {
			return
		}
		ll, ok := sa.(*unix.SockaddrLinklayer)
		if rerr != nil || !ok || ll.Pkttype == unix.PACKET_OUTGOING || n < 14 {
			continue
		}
		c.read.Add(1)
		if rand.IntN(100) < pct {
			c.dropped.Add(1)
			continue
		}
		dst := &unix.SockaddrLinklayer{Ifindex: to.ifindex, Halen: 6}
		copy(dst.Addr[:], buf[:6])
		frame := buf[:n]
		var werr error
		wc.Write(func(fd uintptr) bool {
			werr = unix.Sendto(int(fd), frame, 0, dst)
			return werr != unix.EAGAIN
		})
		if werr != nil {
			c.failed.Add(1)
		} else {
			c.sent.Add(1)
		}
	}
}

// forward forwards 0x0901 frames both ways between interfaces a and b,
// dropping pct% of them. stop closes the sockets and waits for the
// goroutines; counts says what went each way.
func forward(a, b string, pct int) (stop func(), counts func() string, err error) {
	sa, err := openRaw(a)
	if err != nil {
		return nil, nil, err
	}
	sb, err := openRaw(b)
	if err != nil {
		sa.f.Close()
		return nil, nil, err
	}
	var wg sync.WaitGroup
	wg.Add(2)
	var ab, ba pumpCounts
	go func() { defer wg.Done(); pump(sa, sb, pct, &ab) }()
	go func() { defer wg.Done(); pump(sb, sa, pct, &ba) }()
	var once sync.Once
	return func() {
		once.Do(func() {
			sa.f.Close()
			sb.f.Close()
			wg.Wait()
		})
	}, func() string { return fmt.Sprintf("%s to %s: %v; %s to %s: %v", a, b, &ab, b, a, &ba) }, nil
}
