package zt

import (
	"bytes"
	"errors"
	"testing"

	"github.com/spgo/sp"
	"github.com/stretchr/testify/require"
)

func TestMAC(t *testing.T) {
	const nwid = 0x8056c2e21c000001
	// By hand: first octet 0x01&0xfe|0x02; mask 0x00_00_1c_e2_c2.
	require.Equal(t, "02:11:22:2f:a6:97", MACFor(0x1122334455, nwid).String())
	node, ok := NodeFor(MACFor(0x1122334455, nwid), nwid)
	require.True(t, ok)
	require.Equal(t, uint64(0x1122334455), node)
	// 0x52 is KVM's: ZeroTier uses 0x32 instead.
	require.Equal(t, byte(0x32), MACFor(1, 0x52)[0])
	require.Equal(t, byte(0x32), MACFor(1, 0x53)[0])
	_, ok = NodeFor(MACFor(1, 0x52), 0x1234)
	require.False(t, ok, "a MAC of another network")
	for _, nw := range []uint64{0, 1, 0x52, 0xffffffffffffffff, nwid} {
		for _, n := range []uint64{0, 1, 0xffffffffff, 0x8a3b2c1d0e} {
			got, ok := NodeFor(MACFor(n, nw), nw)
			require.True(t, ok)
			require.Equal(t, n, got)
		}
	}
}

func TestFrames(t *testing.T) {
	h := header{op: opConnReq, dst: 0x123456, src: 0xfedcba}
	b := appendConn(nil, h, 0x31)
	require.Equal(t, []byte{0x10, 0, 0, 1, 0, 0x12, 0x34, 0x56, 0, 0xfe, 0xdc, 0xba, 0, 0x31}, b)
	got, err := parseHeader(b)
	require.NoError(t, err)
	require.Equal(t, h, got)
	p, err := parseConn(append(b, 0, 0, 0)) // Ethernet padding
	require.NoError(t, err)
	require.Equal(t, uint16(0x31), p)

	d := appendData(nil, header{op: opData, dst: 1, src: 2}, frag{msgID: 7, fragSize: 4, fragNo: 1, nFrags: 3}, []byte("abcd"))
	require.Len(t, d, dataOffset+4)
	f, pl, err := parseData(d)
	require.NoError(t, err)
	require.Equal(t, frag{7, 4, 1, 3}, f)
	require.Equal(t, "abcd", string(pl))
	_, _, err = parseData(d[:len(d)-1])
	require.ErrorIs(t, err, sp.ErrMalformed, "a middle fragment shorter than the fragment size")

	e := appendErr(nil, header{op: opErr, dst: 1, src: 2}, errRefused, "no\x01 one")
	code, text, err := parseErr(append(e, 0, 0))
	require.NoError(t, err)
	require.Equal(t, byte(errRefused), code)
	require.Equal(t, "no? one", text)
	require.ErrorIs(t, peerError(code, text), sp.ErrConnRefused)

	_, err = parseHeader([]byte{0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 1})
	require.ErrorIs(t, err, sp.ErrMalformed, "version 2")
}

// The seed corpus of each target is also in testdata/fuzz/<target>/.

func FuzzParseHeader(f *testing.F) {
	f.Add(appendHeader(nil, header{op: opPing, dst: 1, src: 0xffffff}))
	f.Add([]byte{0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1})
	f.Add([]byte{0x40, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := parseHeader(b)
		if err != nil {
			require.ErrorIs(t, err, sp.ErrMalformed)
			return
		}
		require.NotZero(t, h.dst)
		require.NotZero(t, h.src)
		require.LessOrEqual(t, h.dst, uint32(maxPort))
		h2, err := parseHeader(appendHeader(nil, h))
		require.NoError(t, err)
		require.Equal(t, h, h2)
	})
}

func FuzzParseConn(f *testing.F) {
	f.Add(appendConn(nil, header{op: opConnReq, dst: 5, src: 0x800001}, 0x30))
	f.Add(appendConn(nil, header{op: opConnAck, dst: 5, src: 6}, 0x31)[:13])
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := parseConn(b)
		if err != nil {
			require.ErrorIs(t, err, sp.ErrMalformed)
			require.Less(t, len(b), connSize)
			return
		}
		require.Equal(t, uint16(b[12])<<8|uint16(b[13]), p)
	})
}

func FuzzParseData(f *testing.F) {
	h := header{op: opData, dst: 1, src: 2}
	f.Add(appendData(nil, h, frag{1, 4, 0, 2}, []byte("abcd")))
	f.Add(appendData(nil, h, frag{1, 4, 1, 2}, []byte("ab")))
	f.Add(appendData(nil, h, frag{1, 0, 0, 1}, nil))
	f.Add(appendData(nil, h, frag{1, 4, 2, 2}, []byte("abcd")))
	f.Add(appendData(nil, h, frag{1, 4, 0, 2}, []byte("abcde")))
	f.Fuzz(func(t *testing.T, b []byte) {
		fr, p, err := parseData(b)
		if err != nil {
			require.ErrorIs(t, err, sp.ErrMalformed)
			return
		}
		require.Less(t, fr.fragNo, fr.nFrags)
		require.LessOrEqual(t, len(p), int(fr.fragSize))
		if fr.fragNo < fr.nFrags-1 {
			require.Len(t, p, int(fr.fragSize))
		}
		require.Equal(t, b[dataOffset:], p)
	})
}

func FuzzParseErr(f *testing.F) {
	f.Add(appendErr(nil, header{op: opErr, dst: 1, src: 2}, errTooBig, "message too big"))
	f.Add(append(appendErr(nil, header{op: opErr, dst: 1, src: 2}, 0xff, ""), bytes.Repeat([]byte{'x'}, 200)...))
	f.Add([]byte{0x40, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		code, text, err := parseErr(b)
		if err != nil {
			require.ErrorIs(t, err, sp.ErrMalformed)
			return
		}
		require.LessOrEqual(t, len(text), maxErrText)
		for _, c := range []byte(text) {
			require.True(t, c >= 0x20 && c <= 0x7e, "non-printable %q", text)
		}
		require.Equal(t, b[headerSize], code)
		require.Error(t, peerError(code, text))
		c2, t2, err := parseErr(appendErr(nil, header{op: opErr, dst: 1, src: 1}, code, text))
		require.NoError(t, err)
		require.Equal(t, code, c2)
		require.Equal(t, text, t2)
	})
}

func FuzzParseURL(f *testing.F) {
	f.Add("zt://*.8056c2e21c000001:5555")
	f.Add("zt://1122334455.8056c2e21c000001:0")
	f.Add("zt://1122334455.8056c2e21c000001:16777216")
	f.Add("zt://x.y:z/")
	f.Fuzz(func(t *testing.T, s string) {
		u, err := parseURL(s, false)
		if err != nil {
			require.True(t, errors.Is(err, sp.ErrBadURL))
			return
		}
		require.LessOrEqual(t, u.node, uint64(nodeMask))
		require.LessOrEqual(t, u.port, uint32(maxPort))
		if !u.anyNode {
			a := &Addr{Node: u.node, NWID: u.nwid, Port: u.port}
			u2, err := parseURL(a.String(), false)
			require.NoError(t, err)
			require.Equal(t, u.node, u2.node)
			require.Equal(t, u.nwid, u2.nwid)
			require.Equal(t, u.port, u2.port)
		}
	})
}
