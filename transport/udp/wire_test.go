package udp_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/spgo/sp"
	"github.com/spgo/sp/protocol/pair"
	"github.com/spgo/sp/transport/udp"
)

// Wire constants, spelled out here as a peer would.
const (
	opData, opCREQ, opCACK, opDISC, opMesh = 0, 1, 2, 3, 4
	pairID, pushID                         = 0x10, 0x50
)

// dgram is a datagram as a raw peer sees it.
type dgram struct {
	op, proto, p0, p1 uint16
	payload           []byte
}

func encode(op, proto, p0, p1 uint16, payload []byte) []byte {
	b := []byte{1, byte(op)}
	b = binary.LittleEndian.AppendUint16(b, proto)
	b = binary.LittleEndian.AppendUint16(b, p0)
	b = binary.LittleEndian.AppendUint16(b, p1)
	return append(b, payload...)
}

// raw is a peer that speaks the wire by hand.
type raw struct {
	t  *testing.T
	pc *net.UDPConn
	to *net.UDPAddr // where send goes; set by the first read if nil
}

func newRaw(t *testing.T, to net.Addr) *raw {
	pc, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(t, err)
	t.Cleanup(func() { pc.Close() })
	r := &raw{t: t, pc: pc}
	if to != nil {
		r.to = to.(*net.UDPAddr)
	}
	return r
}

func (r *raw) url() string { return "udp://" + r.pc.LocalAddr().String() }

func (r *raw) send(b []byte) {
	r.t.Helper()
	_, err := r.pc.WriteToUDP(b, r.to)
	require.NoError(r.t, err)
}

// read returns the next datagram, or ok false if none comes within d.
func (r *raw) read(d time.Duration) (dgram, bool) {
	r.t.Helper()
	buf := make([]byte, 1<<16)
	r.pc.SetReadDeadline(time.Now().Add(d))
	n, from, err := r.pc.ReadFromUDP(buf)
	if err != nil {
		var ne net.Error
		require.True(r.t, errors.As(err, &ne) && ne.Timeout(), "raw read: %v", err)
		return dgram{}, false
	}
	if r.to == nil {
		r.to = from
	}
	require.GreaterOrEqual(r.t, n, 8, "a datagram of %d bytes, want at least the 8-byte header", n)
	require.Equal(r.t, byte(1), buf[0], "header version: got %d, want 1", buf[0])
	le := binary.LittleEndian
	return dgram{op: uint16(buf[1]), proto: le.Uint16(buf[2:]), p0: le.Uint16(buf[4:]), p1: le.Uint16(buf[6:]),
		payload: bytes.Clone(buf[8:n])}, true
}

// expect reads until a datagram of opcode op comes (skipping refresh
// requests unless op is CREQ), failing after a second.
func (r *raw) expect(op uint16) dgram {
	r.t.Helper()
	deadline := time.Now().Add(time.Second)
	for time.Now().Before(deadline) {
		d, ok := r.read(time.Until(deadline))
		if ok && (d.op == op || (d.op != opCREQ && op != opCREQ)) {
			require.Equal(r.t, op, d.op, "got opcode %d (p0 %d), want %d", d.op, d.p0, op)
			return d
		}
	}
	r.t.Fatalf("no datagram of opcode %d within 1 s", op)
	return dgram{}
}

// quiet fails if anything other than a refresh request comes within d.
func (r *raw) quiet(d time.Duration) {
	r.t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if g, ok := r.read(time.Until(deadline)); ok && g.op != opCREQ {
			r.t.Fatalf("got opcode %d (p0 %d), want nothing", g.op, g.p0)
		}
	}
}

func wctx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// listenPair makes a pair socket listen with opts and returns it, its
// listener's address and a pipe watcher.
func listenPair(t *testing.T, opts ...sp.EndpointOption) (sp.Socket, net.Addr) {
	s := newSock(t, pair.NewSocket)
	l, err := s.Listen("udp://127.0.0.1:0", opts...)
	require.NoError(t, err)
	return s, l.Addr()
}

func waitPipes(t *testing.T, s sp.Socket, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for s.Stats().Pipes != n {
		if time.Now().After(deadline) {
			t.Fatalf("got %d pipes after 5 s, want %d", s.Stats().Pipes, n)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// TestListenerWire drives a listener with a raw dialer.
func TestListenerWire(t *testing.T) {
	cnt := new(udp.Counters)
	s, addr := listenPair(t, sp.With(sp.RecvMaxSize, 2000), sp.With(udp.CountersTo, cnt))
	r := newRaw(t, addr)

	r.send(encode(opCREQ, pairID, 1000, 1, nil))
	ack := r.expect(opCACK)
	require.Equal(t, dgram{op: opCACK, proto: pairID, p0: 2000, p1: 1, payload: []byte{}}, ack,
		"CACK: got %+v, want our protocol, RecvMaxSize 2000 and the smaller refresh, 1 s", ack)
	waitPipes(t, s, 1)

	r.send(encode(opData, pairID, 2, 0xffff, []byte("hi!"))) // p1 ignored, extra byte too
	got, err := s.Recv(wctx(t))
	require.NoError(t, err)
	require.Equal(t, "hi", string(got), "received %q, want %q", got, "hi")

	require.NoError(t, s.Send(wctx(t), bytes.Repeat([]byte("x"), 1000)))
	d := r.expect(opData)
	require.Equal(t, 1000, int(d.p0), "DATA length: got %d, want 1000", d.p0)
	require.Equal(t, 1000, len(d.payload), "DATA payload: got %d bytes, want 1000", len(d.payload))

	// Refused at Send: over the 1000 bytes the peer advertised. Nothing
	// goes out and the pipe stays: the next message goes.
	err = s.Send(wctx(t), bytes.Repeat([]byte("x"), 1001))
	require.ErrorIs(t, err, sp.ErrTooLarge, "Send of 1001 bytes to a peer taking 1000: got %v, want ErrTooLarge", err)
	require.NoError(t, s.Send(wctx(t), []byte("next")))
	d = r.expect(opData)
	require.Equal(t, "next", string(d.payload), "after a refused Send: got %q, want %q", d.payload, "next")
	require.Zero(t, cnt.SendTooLarge.Load(), "SendTooLarge: the connection never saw the refused message")
	waitPipes(t, s, 1)

	// A message over our limit: DISC 4, counted, the pipe closed, nothing
	// delivered.
	r.send(encode(opData, pairID, 2001, 0, make([]byte, 2001)))
	disc := r.expect(opDISC)
	require.Equal(t, 4, int(disc.p0), "DISC after an over-size message: got reason %d, want 4", disc.p0)
	waitPipes(t, s, 0)
	require.Equal(t, uint64(1), cnt.RecvTooLarge.Load(), "RecvTooLarge")
	require.Equal(t, uint64(1), s.Stats().Drops.TooLarge, "socket Drops.TooLarge")

	// Truncated: the header claims more than the datagram holds. (Sent
	// once the socket has the pipe: before, the connection's handshake
	// fails with it and the socket counts a handshake failure instead, as
	// about one run in three did under -race.)
	r.send(encode(opCREQ, pairID, 1000, 1, nil))
	r.expect(opCACK)
	waitPipes(t, s, 1)
	r.send(encode(opData, pairID, 10, 0, []byte("short")))
	disc = r.expect(opDISC)
	require.Equal(t, 4, int(disc.p0), "DISC after a truncated message: got reason %d, want 4", disc.p0)
	waitPipes(t, s, 0)

	// DATA with no connection: dropped and counted, no answer.
	r.send(encode(opData, pairID, 2, 0, []byte("hi")))
	r.quiet(50 * time.Millisecond)
	require.Equal(t, uint64(1), cnt.NoMatch.Load(), "NoMatch")
	require.Equal(t, uint64(1), s.Stats().Drops.Stale, "socket Drops.Stale: the listener's drops are the socket's (sp.DropCounter)")

	// Not SP: ignored and counted. An unknown opcode: DISC 7.
	r.send([]byte{1, 0, 0x10})
	r.send(encode(opData, pairID, 0, 0, nil)[:0:0])
	r.send(append([]byte{2}, encode(opCREQ, pairID, 1000, 1, nil)[1:]...))
	r.quiet(50 * time.Millisecond)
	r.send(encode(opMesh, pairID, 0, 0, nil))
	disc = r.expect(opDISC)
	require.Equal(t, 7, int(disc.p0), "DISC after MESH: got reason %d, want 7", disc.p0)
	require.Equal(t, uint64(4), cnt.Malformed.Load(), "Malformed (short, empty, version 2, MESH)")
	require.Equal(t, uint64(1+4), s.Stats().Drops.Malformed, "socket Drops.Malformed: the truncated DATA, and the listener's 4")

	// A refresh of 0: DISC 5.
	r.send(encode(opCREQ, pairID, 1000, 0, nil))
	disc = r.expect(opDISC)
	require.Equal(t, 5, int(disc.p0), "DISC after a CREQ with refresh 0: got reason %d, want 5", disc.p0)
	require.Equal(t, 0, s.Stats().Pipes, "pipes after a refused CREQ")
}

// TestListenerMaxPeers refuses a second peer with DISC 8.
func TestListenerMaxPeers(t *testing.T) {
	cnt := new(udp.Counters)
	s, addr := listenPair(t, sp.With(udp.MaxPeers, 1), sp.With(udp.CountersTo, cnt))
	a, b := newRaw(t, addr), newRaw(t, addr)
	a.send(encode(opCREQ, pairID, 1000, 1, nil))
	a.expect(opCACK)
	waitPipes(t, s, 1)
	b.send(encode(opCREQ, pairID, 1000, 1, nil))
	disc := b.expect(opDISC)
	require.Equal(t, 8, int(disc.p0), "DISC past MaxPeers: got reason %d, want 8", disc.p0)
	require.Equal(t, uint64(1), cnt.PeersRejected.Load(), "PeersRejected")
}

// TestListenerExpiry drops a peer silent for five refresh intervals, and
// keeps one that refreshes.
func TestListenerExpiry(t *testing.T) {
	const refresh = 200 * time.Millisecond
	cnt := new(udp.Counters)
	s, addr := listenPair(t, sp.With(udp.Refresh, refresh), sp.With(udp.CountersTo, cnt))
	r := newRaw(t, addr)
	r.send(encode(opCREQ, pairID, 1000, 1, nil))
	require.Equal(t, 1, int(r.expect(opCACK).p1), "CACK refresh: want 1 (200 ms, rounded up)")
	waitPipes(t, s, 1)

	// Refreshing every refresh interval for 10 of them keeps it.
	for range 10 {
		time.Sleep(refresh)
		r.send(encode(opCREQ, pairID, 1000, 1, nil))
	}
	require.Equal(t, 1, s.Stats().Pipes, "pipes after 2 s of refreshes every 200 ms")
	require.Equal(t, uint64(0), cnt.PeersInactive.Load(), "PeersInactive while refreshing")

	// Silent: dropped after five refresh intervals.
	start := time.Now()
	for d, ok := r.read(2 * time.Second); ; d, ok = r.read(2 * time.Second) {
		require.True(t, ok, "no DISC within 2 s of silence")
		if d.op == opDISC {
			require.Equal(t, 6, int(d.p0), "DISC reason: got %d, want 6 (inactive)", d.p0)
			break
		}
	}
	el := time.Since(start)
	require.GreaterOrEqual(t, el, 4*refresh, "dropped after %v of silence, want about %v", el, 5*refresh)
	waitPipes(t, s, 0)
	require.Equal(t, uint64(1), cnt.PeersInactive.Load(), "PeersInactive")
}
