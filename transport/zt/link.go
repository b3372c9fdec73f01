package zt

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/spgo/sp"
)

// Link sends and receives the Ethernet frames of ethertype 0x0901 on one
// interface. The transport uses one Link per interface and network in a
// process, shared by all its sockets. Its methods are safe for concurrent
// use, except ReadFrame, which one goroutine calls.
type Link interface {
	// MAC returns the interface's hardware address.
	MAC() [6]byte
	// MTU returns the largest payload of a frame, Ethernet header excluded.
	MTU() int
	// WriteFrame sends payload to dst.
	WriteFrame(dst [6]byte, payload []byte) error
	// ReadFrame reads the next frame addressed to this link into buf,
	// returning its length and its source. It blocks until a frame
	// arrives or Close is called; then it returns an error.
	ReadFrame(buf []byte) (n int, src [6]byte, err error)
	// Close closes the link and unblocks ReadFrame.
	Close() error
}

// MemorySwitch is an in-memory Ethernet switch for tests: links made by
// NewLink exchange frames through it, as if plugged into one segment per
// network. Select it for a socket with the Switch option:
//
//	sw := zt.NewMemorySwitch(2800)
//	s.Listen("zt://*.8056c2e21c000001:5555", sp.With(zt.Switch, sw), sp.With(zt.LocalNode, 0x1122334455))
//
// A frame to a MAC that no link has is dropped, as is a frame that waits
// longer than a second for room in its receiver's queue.
type MemorySwitch struct {
	mtu   int
	mu    sync.Mutex
	links map[[6]byte]*memLink
	drop  func(payload []byte) bool
}

// NewMemorySwitch returns a switch whose links have the given MTU (1500
// if mtu <= 0).
func NewMemorySwitch(mtu int) *MemorySwitch {
	if mtu <= 0 {
		mtu = 1500
	}
	return &MemorySwitch{mtu: mtu, links: make(map[[6]byte]*memLink)}
}

// SetDrop makes the switch drop every frame for which drop returns true
// (nil: none), to test loss. drop must be safe for concurrent use.
func (s *MemorySwitch) SetDrop(drop func(payload []byte) bool) {
	s.mu.Lock()
	s.drop = drop
	s.mu.Unlock()
}

// NewLink plugs a new link with the MAC of node on network nwid into the
// switch. It fails if a link with that MAC is plugged in already.
func (s *MemorySwitch) NewLink(node, nwid uint64) (Link, error) {
	mac := macFor(node, nwid)
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.links[mac]; ok {
		return nil, fmt.Errorf("%w: zt memory switch: MAC %v is in use", sp.ErrAddrInUse, net.HardwareAddr(mac[:]))
	}
	l := &memLink{sw: s, mac: mac, in: make(chan memFrame, 4096), done: make(chan struct{})}
	s.links[mac] = l
	return l, nil
}

type memFrame struct {
	src [6]byte
	b   []byte
}

type memLink struct {
	sw   *MemorySwitch
	mac  [6]byte
	in   chan memFrame
	once sync.Once
	done chan struct{}
}

func (l *memLink) MAC() [6]byte { return l.mac }
func (l *memLink) MTU() int     { return l.sw.mtu }

// memWait bounds how long a frame waits for room in a receiver's queue.
const memWait = time.Second

func (l *memLink) WriteFrame(dst [6]byte, payload []byte) error {
	if len(payload) > l.sw.mtu {
		return fmt.Errorf("zt memory switch: frame of %d bytes, over the MTU %d", len(payload), l.sw.mtu)
	}
	select {
	case <-l.done:
		return sp.ErrClosed
	default:
	}
	l.sw.mu.Lock()
	to, drop := l.sw.links[dst], l.sw.drop
	l.sw.mu.Unlock()
	if to == nil || (drop != nil && drop(payload)) {
		return nil
	}
	f := memFrame{src: l.mac, b: append([]byte(nil), payload...)}
	select {
	case to.in <- f:
		return nil
	default:
	}
	t := time.NewTimer(memWait)
	defer t.Stop()
	select {
	case to.in <- f:
	case <-to.done:
	case <-l.done:
		return sp.ErrClosed
	case <-t.C:
	}
	return nil
}

func (l *memLink) ReadFrame(buf []byte) (int, [6]byte, error) {
	select {
	case f := <-l.in:
		return copy(buf, f.b), f.src, nil
	case <-l.done:
		return 0, [6]byte{}, sp.ErrClosed
	}
}

func (l *memLink) Close() error {
	l.once.Do(func() {
		l.sw.mu.Lock()
		delete(l.sw.links, l.mac)
		l.sw.mu.Unlock()
		close(l.done)
	})
	return nil
}

// errNoInterface is returned when no interface serves a network.
var errNoInterface = errors.New("zt: no interface")
