package udp_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/spgo/sp"
	"github.com/spgo/sp/protocol/pair"
	"github.com/spgo/sp/transport/udp"
)

// dialRaw makes a pair socket dial a raw listener, synchronously, in the
// background, and returns the dial's result channel.
func dialRaw(t *testing.T, r *raw, opts ...sp.EndpointOption) (sp.Socket, <-chan error) {
	s := newSock(t, pair.NewSocket)
	errc := make(chan error, 1)
	opts = append(opts, sp.WithDialSync(), sp.With(sp.ReconnectMin, time.Hour), sp.With(sp.ReconnectMax, time.Hour))
	go func() { errc <- s.Dial(r.url(), opts...) }()
	return s, errc
}

// TestDialerWire drives a dialer with a raw listener.
func TestDialerWire(t *testing.T) {
	const retry, refresh = 50 * time.Millisecond, 200 * time.Millisecond
	cnt := new(udp.Counters)
	r := newRaw(t, nil)
	s, errc := dialRaw(t, r, sp.With(sp.RecvMaxSize, 3000), sp.With(udp.ConnRetry, retry),
		sp.With(udp.Refresh, refresh), sp.With(udp.CountersTo, cnt))

	// Requests repeat every ConnRetry until answered.
	first := r.expect(opCREQ)
	require.Equal(t, dgram{op: opCREQ, proto: pairID, p0: 3000, p1: 1, payload: []byte{}}, first,
		"CREQ: got %+v, want our protocol, RecvMaxSize 3000 and refresh 1 s (50 ms rounded up)", first)
	start := time.Now()
	r.expect(opCREQ)
	r.expect(opCREQ)
	el := time.Since(start)
	require.True(t, el >= retry && el < 20*retry, "two repeats took %v, want about %v", el, 2*retry)

	r.send(encode(opCACK, pairID, 500, 1, nil))
	require.NoError(t, <-errc)

	// Refreshes every Refresh (the smaller of ours and the listener's).
	start = time.Now()
	for range 3 {
		d := r.expect(opCREQ)
		r.send(encode(opCACK, pairID, 500, 1, nil))
		require.Equal(t, 1, int(d.p1), "refresh CREQ: got refresh %d, want 1", d.p1)
	}
	el = time.Since(start)
	require.True(t, el >= 2*refresh && el < 10*refresh, "three refreshes took %v, want about %v", el, 3*refresh)

	// Data both ways.
	r.send(encode(opData, pairID, 2, 0, []byte("hi")))
	m, err := s.RecvMsg(wctx(t))
	require.NoError(t, err)
	require.Equal(t, "hi", string(m.Body), "received %q, want %q", m.Body, "hi")
	v, err := sp.GetOption(m.Pipe(), udp.PeerRecvMax)
	require.NoError(t, err)
	require.Equal(t, 500, v, "PeerRecvMax: got %d, want the 500 the listener advertised", v)
	require.NoError(t, s.Send(wctx(t), []byte("yo")))
	d := r.expect(opData)
	require.Equal(t, "yo", string(d.payload), "DATA: got %q, want %q", d.payload, "yo")

	// A dialer refuses connection requests: DISC 3.
	r.send(encode(opCREQ, pairID, 1000, 1, nil))
	require.Equal(t, 3, int(r.expect(opDISC).p0), "DISC to a CREQ sent to a dialer: want reason 3")

	// Refused at Send: over the 500 bytes the listener advertised; the
	// pipe stays.
	err = s.Send(wctx(t), bytes.Repeat([]byte("x"), 501))
	require.ErrorIs(t, err, sp.ErrTooLarge, "Send of 501 bytes to a peer taking 500: got %v, want ErrTooLarge", err)
	require.NoError(t, s.Send(wctx(t), []byte("next")))
	require.Equal(t, "next", string(r.expect(opData).payload), "the message after a refused Send")
	require.Zero(t, cnt.SendTooLarge.Load(), "SendTooLarge: the connection never saw the refused message")
	waitPipes(t, s, 1)
}

// TestDialerExpiry drops a listener that stops answering refreshes.
func TestDialerExpiry(t *testing.T) {
	const refresh = 100 * time.Millisecond
	cnt := new(udp.Counters)
	r := newRaw(t, nil)
	s, errc := dialRaw(t, r, sp.With(udp.Refresh, refresh), sp.With(udp.CountersTo, cnt))
	r.expect(opCREQ)
	r.send(encode(opCACK, pairID, 500, 1, nil))
	require.NoError(t, <-errc)
	start := time.Now()
	for {
		d, ok := r.read(2 * time.Second)
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

// TestDialerAnswers checks how a dial ends on each answer.
func TestDialerAnswers(t *testing.T) {
	tests := []struct {
		name     string
		answer   []byte
		want     error
		wantDisc int // -1: none
	}{
		{"wrong protocol", encode(opCACK, pushID, 1000, 1, nil), sp.ErrBadProtocol, 1},
		{"peer limit", encode(opDISC, pairID, 8, 0, nil), sp.ErrConnRefused, -1},
		{"refused", encode(opDISC, pairID, 3, 0, nil), sp.ErrConnRefused, -1},
		{"wrong protocol DISC", encode(opDISC, pairID, 1, 0, nil), sp.ErrBadProtocol, -1},
		{"refresh 0", encode(opCACK, pairID, 1000, 0, nil), sp.ErrMalformed, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRaw(t, nil)
			_, errc := dialRaw(t, r, sp.With(udp.ConnRetry, time.Second))
			r.expect(opCREQ)
			r.send(tt.answer)
			err := <-errc
			require.ErrorIs(t, err, tt.want, "dial: got %v, want an error wrapping %v", err, tt.want)
			if tt.wantDisc >= 0 {
				require.Equal(t, tt.wantDisc, int(r.expect(opDISC).p0), "DISC reason")
			}
		})
	}
}

// TestDialerExpire gives up on a listener that never answers.
func TestDialerExpire(t *testing.T) {
	r := newRaw(t, nil)
	start := time.Now()
	_, errc := dialRaw(t, r, sp.With(udp.ConnRetry, 20*time.Millisecond), sp.With(udp.ConnExpire, 200*time.Millisecond))
	err := <-errc
	require.ErrorIs(t, err, sp.ErrTimeout, "dial to a silent listener: got %v, want sp.ErrTimeout", err)
	el := time.Since(start)
	require.True(t, el >= 150*time.Millisecond && el < 3*time.Second, "gave up after %v, want about 200 ms", el)
}

// fastDial makes a synchronous dial.
func fastDial() []sp.EndpointOption {
	return []sp.EndpointOption{sp.WithDialSync(), sp.With(udp.ConnRetry, 20*time.Millisecond)}
}

// TestDialerDatagramLimit refuses a message over what one datagram
// carries (65000 bytes) even when the peer advertises more.
func TestDialerDatagramLimit(t *testing.T) {
	cnt := new(udp.Counters)
	r := newRaw(t, nil)
	s, errc := dialRaw(t, r, sp.With(udp.CountersTo, cnt))
	r.expect(opCREQ)
	r.send(encode(opCACK, pairID, 65535, 1, nil))
	require.NoError(t, <-errc)
	require.NoError(t, s.Send(wctx(t), make([]byte, 65000)))
	require.Equal(t, 65000, len(r.expect(opData).payload), "the largest message: want it sent whole")
	err := s.Send(wctx(t), make([]byte, 65001))
	require.ErrorIs(t, err, sp.ErrTooLarge, "Send of 65001 bytes: got %v, want ErrTooLarge", err)
	require.NoError(t, s.Send(wctx(t), []byte("next")))
	require.Equal(t, "next", string(r.expect(opData).payload), "the message after a refused Send")
	require.Zero(t, cnt.SendTooLarge.Load(), "SendTooLarge: the connection never saw the refused message")
}
