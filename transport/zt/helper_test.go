package zt_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"testing"
	"time"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/sptest"
	"github.com/spgo/sp/protocol/pub"
	"github.com/spgo/sp/protocol/pull"
	"github.com/spgo/sp/protocol/push"
	"github.com/spgo/sp/protocol/rep"
	"github.com/spgo/sp/protocol/req"
	"github.com/spgo/sp/protocol/sub"
	"github.com/spgo/sp/transport/zt"
)

// nsMTU is the MTU of the namespaces' links: ZeroTier's.
const nsMTU = 2800

// Ports of the helper's services.
const (
	portRep  = 100
	portPub  = 101
	portPush = 102
)

// TestHelperProcess is not a test: the namespace tests run this binary
// with it selected and ZT_HELPER naming a role, inside a namespace.
func TestHelperProcess(t *testing.T) {
	role := os.Getenv("ZT_HELPER")
	if role == "" {
		t.Skip("a helper for TestNetns and TestNetnsLoss, which run it in a child process")
	}
	roles := map[string]func(h *hp) error{
		"server": (*hp).server, "client": (*hp).client,
		"lossserver": (*hp).lossServer, "lossclient": (*hp).lossClient,
	}
	var nwid, peer uint64
	fmt.Sscanf(os.Getenv("ZT_NWID"), "%x", &nwid)
	fmt.Sscanf(os.Getenv("ZT_PEER"), "%x", &peer)
	h := &hp{t: t, iface: os.Getenv("ZT_IFACE"), nwid: nwid, peer: peer}
	defer h.closeAll()
	if err := roles[role](h); err != nil {
		t.Fatalf("%s: %v", role, err)
	}
}

type hp struct {
	t     *testing.T
	iface string
	nwid  uint64
	peer  uint64
	socks []sp.Socket
}

func (h *hp) closeAll() {
	for _, s := range h.socks {
		s.Close()
	}
}

func (h *hp) opts() []sp.EndpointOption {
	return []sp.EndpointOption{sp.With(zt.Interface, h.iface), sp.With(sp.RecvMaxSize, 4<<20),
		sp.With(zt.ConnectTime, 200*time.Millisecond), sp.With(zt.ConnectTries, 50),
		sp.With(sp.HandshakeTimeout, 20*time.Second)}
}

func (h *hp) socket(f func() (sp.Socket, error)) sp.Socket {
	s, err := f()
	if err != nil {
		h.t.Fatal(err)
	}
	h.socks = append(h.socks, s)
	return s
}

func (h *hp) listen(f func() (sp.Socket, error), port int) (sp.Socket, error) {
	s := h.socket(f)
	_, err := s.Listen(fmt.Sprintf("zt://*.%016x:%d", h.nwid, port), h.opts()...)
	return s, err
}

func (h *hp) dial(f func() (sp.Socket, error), port int) (sp.Socket, error) {
	s := h.socket(f)
	return s, s.Dial(fmt.Sprintf("zt://%010x.%016x:%d", h.peer, h.nwid, port), append(h.opts(), sp.WithDialSync(), sp.With(sp.ReconnectMin, 50*time.Millisecond))...)
}

// untilStdinCloses returns a context canceled when the parent closes our
// standard input.
func untilStdinCloses() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	go func() { io.Copy(io.Discard, os.Stdin); cancel() }()
	return ctx
}

// server answers requests with their own body and publishes "tick N"
// every 20 ms.
func (h *hp) server() error {
	r, err := h.listen(rep.NewSocket, portRep)
	if err != nil {
		return err
	}
	p, err := h.listen(pub.NewSocket, portPub)
	if err != nil {
		return err
	}
	fmt.Println("READY")
	ctx := untilStdinCloses()
	go func() {
		for i := 0; ctx.Err() == nil; i++ {
			p.Send(ctx, fmt.Appendf(nil, "tick %d", i))
			time.Sleep(20 * time.Millisecond)
		}
	}()
	for {
		b, err := r.Recv(ctx)
		if err != nil {
			return nil
		}
		if err := r.Send(ctx, b); err != nil {
			return nil
		}
	}
}

func (h *hp) client() error {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	q, err := h.dial(req.NewSocket, portRep)
	if err != nil {
		return err
	}
	for i := range 10 {
		want := fmt.Appendf(nil, "hello %d", i)
		if err := q.Send(ctx, want); err != nil {
			return fmt.Errorf("request %d: %w", i, err)
		}
		got, err := q.Recv(ctx)
		if err != nil || !bytes.Equal(got, want) {
			return fmt.Errorf("reply %d: %q, %v; want %q", i, got, err, want)
		}
	}
	fmt.Println("req/rep: 10 requests answered")
	big := sptest.Payload(1<<20, 7)
	if err := q.Send(ctx, big); err != nil {
		return fmt.Errorf("1 MiB request: %w", err)
	}
	got, err := q.Recv(ctx)
	if err != nil || !bytes.Equal(got, big) {
		return fmt.Errorf("1 MiB reply: %d bytes, %v; want the 1 MiB sent back", len(got), err)
	}
	fmt.Println("req/rep: 1 MiB request and reply intact")

	s, err := h.dial(sub.NewSocket, portPub)
	if err != nil {
		return err
	}
	if err := sp.SetOption(s, sub.SubscribeOption, []byte("tick ")); err != nil {
		return err
	}
	for i := range 5 {
		b, err := s.Recv(ctx)
		if err != nil || !bytes.HasPrefix(b, []byte("tick ")) {
			return fmt.Errorf("publication %d: %q, %v", i, b, err)
		}
	}
	fmt.Println("pub/sub: 5 publications received")
	return nil
}

// lossMsg is numbered message i: its number, the SHA-256 of the rest, and
// 1..4 fragments of payload.
func lossMsg(i int) []byte {
	size := []int{100, 2000, 3000, 5000, 8000, 11000}[i%6]
	p := sptest.Payload(size, byte(i))
	sum := sha256.Sum256(p)
	b := binary.BigEndian.AppendUint32(nil, uint32(i))
	return append(append(b, sum[:]...), p...)
}

func (h *hp) lossServer() error {
	p, err := h.listen(push.NewSocket, portPush)
	if err != nil {
		return err
	}
	fmt.Println("READY")
	ctx := untilStdinCloses()
	// Send returns at once while the pipe has room, even after ctx ends:
	// the loop checks ctx itself.
	for i := 0; ctx.Err() == nil; i++ {
		if err := p.Send(ctx, lossMsg(i)); err != nil {
			return nil
		}
		time.Sleep(2 * time.Millisecond)
	}
	return nil
}

func (h *hp) lossClient() error {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	p, err := h.dial(pull.NewSocket, portPush)
	if err != nil {
		return err
	}
	last, got, multi, lost := -1, 0, 0, 0
	for got < 300 || multi < 20 {
		b, err := p.Recv(ctx)
		if errors.Is(err, sp.ErrTimeout) && got > 0 {
			break
		}
		if err != nil {
			return fmt.Errorf("after %d messages: %w", got, err)
		}
		if len(b) < 36 {
			return fmt.Errorf("a message of %d bytes, too short", len(b))
		}
		n := int(binary.BigEndian.Uint32(b))
		if sum := sha256.Sum256(b[36:]); !bytes.Equal(sum[:], b[4:36]) || !bytes.Equal(b, lossMsg(n)) {
			return fmt.Errorf("message #%d (%d bytes) arrived corrupted", n, len(b))
		}
		if n <= last {
			return fmt.Errorf("message #%d after #%d", n, last)
		}
		lost += n - last - 1
		last = n
		got++
		if len(b) > nsMTU-20 {
			multi++
		}
	}
	fmt.Printf("loss: %d messages intact (%d of several fragments), %d lost whole\n", got, multi, lost)
	if lost == 0 {
		return fmt.Errorf("no message was lost: was the loss applied?")
	}
	return nil
}
