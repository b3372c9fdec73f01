package ws_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/spgo/sp"
	"github.com/spgo/sp/protocol/rep"
	"github.com/spgo/sp/protocol/req"
)

// fuzzTarget is a rep socket on ws with a short handshake timeout, and a
// good req client that must be served after every input.
type fuzzTarget struct {
	server, client sp.Socket
	addr, path     string
}

func newFuzzTarget(f *testing.F) *fuzzTarget {
	server, err := rep.NewSocket()
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { server.Close() })
	for _, set := range []error{
		sp.SetOption(server, sp.HandshakeTimeout, 200*time.Millisecond),
		sp.SetOption(server, sp.RecvMaxSize, 1<<16),
	} {
		if set != nil {
			f.Fatal(set)
		}
	}
	l, err := server.NewListener("ws://127.0.0.1:0/fuzz")
	if err != nil {
		f.Fatal(err)
	}
	if err := l.Listen(); err != nil {
		f.Fatal(err)
	}
	ft := &fuzzTarget{server: server, addr: l.Addr().String(), path: "/fuzz"}
	go func() {
		for {
			m, err := server.RecvMsg(context.Background())
			if err != nil {
				return
			}
			server.SendMsg(context.Background(), m)
		}
	}()
	ft.client, err = req.NewSocket()
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { ft.client.Close() })
	if err := ft.client.Dial("ws://"+ft.addr+ft.path, sp.WithDialSync()); err != nil {
		f.Fatal(err)
	}
	return ft
}

// served checks that the good client still gets an answer.
func (ft *fuzzTarget) served(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := ft.client.Send(ctx, []byte("still there?")); err != nil {
		t.Fatalf("good client Send: %v", err)
	}
	if b, err := ft.client.Recv(ctx); err != nil || string(b) != "still there?" {
		t.Fatalf("good client got %q, %v; want its echo", b, err)
	}
}

// send writes b on a fresh connection (after prefix, if any) and reads
// whatever comes back until the server closes or goes quiet.
func (ft *fuzzTarget) send(t *testing.T, prefix, b []byte) {
	c, err := net.Dial("tcp", ft.addr)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer c.Close()
	r := bufio.NewReader(c)
	if prefix != nil {
		c.Write(prefix)
		// Wait for the 101 (or the refusal) before the frames.
		c.SetReadDeadline(time.Now().Add(2 * time.Second))
		for {
			line, err := r.ReadString('\n')
			if err != nil || line == "\r\n" {
				break
			}
		}
	}
	c.Write(b)
	c.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	io.Copy(io.Discard, r)
}

func upgradeRequest(path, proto string) []byte {
	return []byte(fmt.Sprintf("GET %s HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"+
		"Sec-WebSocket-Protocol: %s\r\n\r\n", path, proto))
}

// FuzzUpgradeRequest sends arbitrary bytes where a WebSocket upgrade
// request is expected: the listener must answer or drop them, never crash,
// and go on serving a good client.
func FuzzUpgradeRequest(f *testing.F) {
	ft := newFuzzTarget(f)
	f.Add(upgradeRequest("/fuzz", "rep.sp.nanomsg.org"))
	f.Add(upgradeRequest("/fuzz", "req.sp.nanomsg.org"))
	f.Add(upgradeRequest("/elsewhere", "rep.sp.nanomsg.org"))
	f.Add(upgradeRequest("/fuzz", strings.Repeat("x", 5000)))
	f.Add([]byte("GET /fuzz HTTP/1.1\r\nUpgrade: websocket\r\n\r\n"))
	f.Add([]byte("\x00SP\x00\x00\x30\x00\x00"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		ft.send(t, nil, b)
		ft.served(t)
	})
}

// FuzzFrames completes a valid upgrade and then sends arbitrary bytes as
// WebSocket frames (unmasked, masked, text, control, fragmented, huge
// lengths): the pipe may be closed, the socket must go on serving.
func FuzzFrames(f *testing.F) {
	ft := newFuzzTarget(f)
	up := upgradeRequest("/fuzz", "rep.sp.nanomsg.org")
	masked := func(op byte, payload []byte) []byte {
		b := []byte{0x80 | op, 0x80 | byte(len(payload)), 0, 0, 0, 0}
		return append(b, payload...) // zero mask: payload as is
	}
	f.Add(masked(2, []byte{0x80, 0, 0, 1, 'h', 'i'}))             // a request
	f.Add(masked(1, []byte("text is not SP")))                    // text
	f.Add(masked(2, []byte{0, 0, 0, 1}))                          // a backtrace that never ends
	f.Add([]byte{0x82, 0xff, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff}) // a 2^63 claim
	f.Add([]byte{0x02, 0x82, 0, 0, 0, 0, 0x80, 0})                // a first fragment only
	f.Add(masked(8, []byte{0x03, 0xe8}))                          // close
	f.Add([]byte{0x82, 0x06, 0x80, 0, 0, 1, 'h', 'i'})            // unmasked from a client
	f.Fuzz(func(t *testing.T, b []byte) {
		ft.send(t, up, b)
		ft.served(t)
	})
}
