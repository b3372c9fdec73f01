//go:build linux

package fault_test

import (
	"bytes"
	"fmt"
	"math"
	mrand "math/rand/v2"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// relay forwards Ethernet frames both ways between two interfaces, the veth
// ends in the middle namespace of a relayed link, and drops or delays them
// as netem would on both ends of a veth pair:
//
//   - loss: each IPv4 TCP frame is dropped with that probability, each way.
//     Other frames (ARP, IPv6 neighbour discovery) always pass: the loss is
//     for TCP and SP to recover from, not neighbour resolution.
//   - delay: every frame is held back that long, each way, in a delay line
//     (a FIFO whose head a timer sends when due). Order is kept, also when
//     the delay changes.
//
// It uses AF_PACKET raw sockets bound to each interface, with a
// virtio_net_hdr before each frame (PACKET_VNET_HDR): a frame from the
// stack of a or b may be a TSO super-frame whose TCP checksum is left to
// the device, and the header passes both on to the kernel when the frame is
// sent on, as a veth does. Such a frame is dropped whole, as netem does.
type relay struct {
	socks [2]*os.File
	loss  atomic.Uint64 // math.Float64bits of the fraction of TCP frames to drop
	delay atomic.Int64  // a time.Duration
	done  chan struct{}
	wg    sync.WaitGroup
	once  sync.Once
	n     struct{ sent, tcp, dropped, failed atomic.Int64 }
}

// relayCounts are frames sent on, TCP frames seen, TCP frames dropped, and
// frames lost to a full delay line or a send error.
type relayCounts struct{ sent, tcp, dropped, failed int64 }

func (c relayCounts) sub(d relayCounts) relayCounts {
	return relayCounts{c.sent - d.sent, c.tcp - d.tcp, c.dropped - d.dropped, c.failed - d.failed}
}

func (r *relay) counts() relayCounts {
	return relayCounts{r.n.sent.Load(), r.n.tcp.Load(), r.n.dropped.Load(), r.n.failed.Load()}
}

// set sets the loss (a fraction) and the delay, for the frames read from now on.
func (r *relay) set(loss float64, delay time.Duration) {
	r.loss.Store(math.Float64bits(loss))
	r.delay.Store(int64(delay))
}

// startRelay starts relaying between interfaces a and b of namespace ns.
func startRelay(ns, a, b string) (*relay, error) {
	r := &relay{done: make(chan struct{})}
	errc := make(chan error, 1)
	go func() {
		// This thread enters ns and stays locked to this goroutine, which
		// ends: the runtime then ends the thread too.
		runtime.LockOSThread()
		errc <- r.open(ns, a, b)
	}()
	if err := <-errc; err != nil {
		for _, f := range r.socks {
			if f != nil {
				f.Close()
			}
		}
		return nil, err
	}
	for i := range r.socks {
		q := make(chan frame, 4096)
		r.wg.Add(2)
		go r.read(r.socks[i], q)
		go r.write(r.socks[1-i], q)
	}
	return r, nil
}

func (r *relay) open(ns string, ifs ...string) error {
	fd, err := unix.Open("/run/netns/"+ns, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	err = unix.Setns(fd, unix.CLONE_NEWNET)
	unix.Close(fd)
	if err != nil {
		return fmt.Errorf("entering namespace %s: %w", ns, err)
	}
	for i, name := range ifs {
		if r.socks[i], err = openPacket(name); err != nil {
			return fmt.Errorf("packet socket on %s: %w", name, err)
		}
	}
	return nil
}

// openPacket opens a raw packet socket for all the frames that arrive on
// interface name (not those sent on it), with virtio_net_hdr.
func openPacket(name string) (*os.File, error) {
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	ifr, err := unix.NewIfreq(name)
	if err == nil {
		err = unix.IoctlIfreq(fd, unix.SIOCGIFINDEX, ifr)
	}
	for _, o := range []int{unix.PACKET_VNET_HDR, unix.PACKET_IGNORE_OUTGOING} {
		if err == nil {
			err = unix.SetsockoptInt(fd, unix.SOL_PACKET, o, 1)
		}
	}
	if err == nil {
		_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, 4<<20)
		all := uint16(unix.ETH_P_ALL)
		err = unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: all<<8 | all>>8, Ifindex: int(ifr.Uint32())})
	}
	if err != nil {
		unix.Close(fd)
		return nil, err
	}
	return os.NewFile(uintptr(fd), "packet:"+name), nil
}

// frame is a virtio_net_hdr and an Ethernet frame, and when to send it.
type frame struct {
	due time.Time
	b   []byte
}

const vnetHdrLen = 10 // struct virtio_net_hdr

// read reads frames from one side into the delay line to the other, until
// the socket is closed.
func (r *relay) read(from *os.File, q chan<- frame) {
	defer r.wg.Done()
	defer close(q)
	rc, err := from.SyscallConn()
	if err != nil {
		return
	}
	buf := make([]byte, 1<<18) // a TSO frame is up to 64 KiB
	var last time.Time
	for {
		var n int
		var rerr error
		if err := rc.Read(func(fd uintptr) bool {
			n, rerr = unix.Read(int(fd), buf)
			return rerr != unix.EAGAIN
		}); err != nil {
			return // closed
		}
		if rerr != nil || n < vnetHdrLen+14 {
			continue
		}
		if eth := buf[vnetHdrLen:n]; len(eth) >= 34 && eth[12] == 0x08 && eth[13] == 0 && eth[23] == unix.IPPROTO_TCP {
			r.n.tcp.Add(1)
			if mrand.Float64() < math.Float64frombits(r.loss.Load()) {
				r.n.dropped.Add(1)
				continue
			}
		}
		f := frame{due: time.Now().Add(time.Duration(r.delay.Load())), b: bytes.Clone(buf[:n])}
		f.b[0] &^= 2 // VIRTIO_NET_HDR_F_DATA_VALID: for receiving only
		if f.due.Before(last) {
			f.due = last // not before the frame ahead
		}
		last = f.due
		select {
		case q <- f:
		default:
			r.n.failed.Add(1) // the line is full
		}
	}
}

// write sends the frames of the delay line on, each when due.
func (r *relay) write(to *os.File, q <-chan frame) {
	defer r.wg.Done()
	wc, err := to.SyscallConn()
	if err != nil {
		return
	}
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for f := range q {
		if d := time.Until(f.due); d > 0 {
			timer.Reset(d)
			select {
			case <-timer.C:
			case <-r.done:
				return
			}
		}
		var werr error
		if err := wc.Write(func(fd uintptr) bool {
			_, werr = unix.Write(int(fd), f.b)
			return werr != unix.EAGAIN
		}); err != nil {
			return // closed
		}
		if werr != nil {
			r.n.failed.Add(1)
		} else {
			r.n.sent.Add(1)
		}
	}
}

// stop stops the relay and waits for its goroutines.
func (r *relay) stop() {
	r.once.Do(func() {
		close(r.done)
		for _, f := range r.socks {
			f.Close()
		}
		r.wg.Wait()
	})
}
