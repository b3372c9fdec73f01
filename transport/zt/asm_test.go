package zt

import (
	"bytes"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"github.com/spgo/sp"
	"github.com/stretchr/testify/require"
)

// fragments cuts msg into DATA fragments of size fs.
func fragments(id uint16, msg []byte, fs int) []frag2 {
	nf := max((len(msg)+fs-1)/fs, 1)
	var out []frag2
	for i := range nf {
		out = append(out, frag2{frag{id, uint16(fs), uint16(i), uint16(nf)}, msg[i*fs : min((i+1)*fs, len(msg))]})
	}
	return out
}

type frag2 struct {
	f frag
	p []byte
}

func TestReassembleOutOfOrder(t *testing.T) {
	var r reassembler
	msg := bytes.Repeat([]byte("0123456789"), 100)
	fs := fragments(3, msg, 64)
	rand.Shuffle(len(fs), func(i, j int) { fs[i], fs[j] = fs[j], fs[i] })
	now := time.Now()
	var got []byte
	for i, f := range fs {
		b, err := r.add(f.f, f.p, 0, now)
		require.NoError(t, err)
		if i < len(fs)-1 {
			require.Nil(t, b)
			b, err = r.add(f.f, f.p, 0, now) // a duplicate changes nothing
			require.NoError(t, err)
			require.Nil(t, b)
		}
		got = b
	}
	require.Equal(t, msg, got)
	require.Empty(t, r.parts)
}

func TestReassembleLossDropsWhole(t *testing.T) {
	var r reassembler
	now := time.Now()
	// Message 1 loses a fragment; the next ones arrive whole, and message
	// 1 never comes out.
	for id := uint16(1); id < 20; id++ {
		msg := bytes.Repeat([]byte{byte(id)}, 300)
		for _, f := range fragments(id, msg, 100) {
			if id == 1 && f.f.fragNo == 1 {
				continue
			}
			b, err := r.add(f.f, f.p, 0, now)
			require.NoError(t, err)
			if b != nil {
				require.Equal(t, msg, b)
			}
		}
	}
	require.LessOrEqual(t, len(r.parts), maxPartial)
	// After the timeout, the partial message is gone.
	r.add(frag{100, 10, 0, 2}, make([]byte, 10), 0, now.Add(asmTimeout+time.Second))
	require.Len(t, r.parts, 1)
}

func TestReassembleLimit(t *testing.T) {
	var r reassembler
	now := time.Now()
	// The first fragment claims ~97 MB: refused before anything else.
	_, err := r.add(frag{1, 1480, 0, 0xffff}, make([]byte, 1480), 1<<20, now)
	require.ErrorIs(t, err, sp.ErrTooLarge)
	// One byte over, found when the last fragment comes.
	msg := make([]byte, 1001)
	var last error
	for _, f := range fragments(2, msg, 100) {
		if _, err := r.add(f.f, f.p, 1000, now); err != nil {
			last = err
		}
	}
	require.ErrorIs(t, last, sp.ErrTooLarge)
	// Exactly the limit passes.
	r = reassembler{}
	var got []byte
	for _, f := range fragments(3, msg[:1000], 100) {
		b, err := r.add(f.f, f.p, 1000, now)
		require.NoError(t, err)
		got = b
	}
	require.Len(t, got, 1000)
}

// TestReassembleClaimNoAlloc checks that fragments claiming a huge message
// cost memory for what arrives only.
func TestReassembleClaimNoAlloc(t *testing.T) {
	var r reassembler
	now := time.Now()
	p := make([]byte, 1480)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := range 8 {
		// Eight messages each claiming ~97 MB, and one far-out fragment.
		_, err := r.add(frag{uint16(i), 1480, 0, 0xffff}, p, 0, now)
		require.NoError(t, err)
		_, err = r.add(frag{uint16(i), 1480, 0xfffe, 0xffff}, p[:1], 0, now)
		require.NoError(t, err)
	}
	runtime.ReadMemStats(&after)
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("allocated %d bytes for 8 messages claiming 97 MB each", alloc)
	require.Less(t, alloc, uint64(1<<20))
}

// FuzzReassemble feeds DATA frames in any order: whatever comes out is a
// message that was sent, whole.
func FuzzReassemble(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5}, uint16(7), uint16(1000))
	f.Add([]byte{5, 4, 3, 3, 2, 1, 0}, uint16(1), uint16(0))
	f.Add([]byte{9, 0, 9, 1, 9, 2}, uint16(3), uint16(50))
	f.Fuzz(func(t *testing.T, order []byte, fragSize uint16, limit uint16) {
		if fragSize == 0 {
			fragSize = 1
		}
		fs := int(fragSize%512) + 1
		// Three messages, fragments delivered in the order given.
		msgs := [][]byte{bytes.Repeat([]byte("a"), 3*fs+1), bytes.Repeat([]byte("b"), fs), bytes.Repeat([]byte("c"), 2*fs)}
		var all []frag2
		for i, m := range msgs {
			all = append(all, fragments(uint16(i), m, fs)...)
		}
		var r reassembler
		now := time.Now()
		for _, o := range order {
			fr := all[int(o)%len(all)]
			b, err := r.add(fr.f, fr.p, int(limit), now)
			if err != nil {
				require.ErrorIs(t, err, sp.ErrTooLarge)
				require.NotZero(t, limit)
				continue
			}
			if b != nil {
				require.Equal(t, msgs[fr.f.msgID], b)
				if limit > 0 {
					require.LessOrEqual(t, len(b), int(limit))
				}
			}
		}
	})
}
