package stream

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"testing"

	"github.com/spgo/sp"
	"github.com/stretchr/testify/require"
)

func TestReadFrameLimit(t *testing.T) {
	const limit = 1000
	tests := []struct {
		name  string
		n     uint64
		limit int
		want  string // "" for success
	}{
		{"at limit", limit, limit, ""},
		{"limit+1", limit + 1, limit, "frame length 1001 exceeds the limit 1000"},
		{"2^32 over limit", 1 << 32, limit, "exceeds the limit 1000"},
		{"2^62 over limit", 1 << 62, limit, "exceeds the limit 1000"},
		{"2^62+1 unlimited", 1<<62 + 1, 0, "frame length 4611686018427387905 exceeds the maximum 4611686018427387904"},
		{"2^63 unlimited", 1 << 63, 0, "exceeds the maximum"},
		{"2^63 with limit", 1 << 63, limit, "exceeds the maximum"},
		{"2^64-1 unlimited", math.MaxUint64, 0, "exceeds the maximum"},
		{"2^64-1 negative limit", math.MaxUint64, -1, "exceeds the maximum"},
	}
	for _, ipc := range []bool{false, true} {
		for _, rk := range readerKinds {
			for _, tt := range tests {
				t.Run(fmt.Sprintf("ipc=%v/%s/%s", ipc, rk.name, tt.name), func(t *testing.T) {
					var payload []byte
					if tt.want == "" {
						payload = pattern(int(tt.n))
					}
					m, err := frameReader(rk.wrap(claim(ipc, tt.n, payload))).readFrame(ipc, tt.limit)
					if tt.want == "" {
						require.NoError(t, err)
						require.Equal(t, payload, m.Body)
						m.Free()
						return
					}
					require.Nil(t, m)
					require.ErrorIs(t, err, sp.ErrTooLarge)
					require.ErrorContains(t, err, tt.want)
				})
			}
		}
	}
}

// TestReadFrameLyingLengthNoAlloc checks that a rejected length costs only
// the error value, not the claimed payload.
func TestReadFrameLyingLengthNoAlloc(t *testing.T) {
	tests := []struct {
		name  string
		n     uint64
		limit int
	}{
		{"2^63", 1 << 63, 0},
		{"limit+1", 1<<30 + 1, 1 << 30},
		{"2^40 over 4K limit", 1 << 40, 4 << 10},
	}
	for _, ipc := range []bool{false, true} {
		for _, tt := range tests {
			t.Run(fmt.Sprintf("ipc=%v/%s", ipc, tt.name), func(t *testing.T) {
				stream := claim(ipc, tt.n, []byte("0123456789"))
				rd := bytes.NewReader(stream)
				br := frameReader(rd)
				got := allocBytes(100, func() {
					rd.Reset(stream)
					br.drop()
					_, err := br.readFrame(ipc, tt.limit)
					if err == nil {
						panic("lying length accepted")
					}
				})
				require.Less(t, got, uint64(1<<10), "got %d bytes allocated per call, want < 1 KiB", got)
			})
		}
	}
}

// TestReadFrameBoundedMemory checks that a peer claiming 1 TiB (with no
// limit) and sending 10 bytes costs about the first chunk, not the claim.
func TestReadFrameBoundedMemory(t *testing.T) {
	for _, ipc := range []bool{false, true} {
		for _, rk := range readerKinds {
			t.Run(fmt.Sprintf("ipc=%v/%s", ipc, rk.name), func(t *testing.T) {
				stream := claim(ipc, 1<<40, []byte("0123456789"))
				var err error
				got := allocBytes(1, func() {
					_, err = frameReader(rk.wrap(stream)).readFrame(ipc, 0)
				})
				require.Equal(t, io.ErrUnexpectedEOF, err, "got %v, want io.ErrUnexpectedEOF", err)
				require.Less(t, got, uint64(1<<20), "got %d bytes allocated, want < 1 MiB", got)
			})
		}
	}
}

// TestReadFrameGrowsWithArrivals checks that a claim larger than the bytes
// sent allocates in proportion to what was sent, not to the claim. The buffer
// doubles, and sp.NewMessage rounds each size up to its pool class (classes
// are 4x apart above 64 KiB), so the bound is a few times the bytes sent.
func TestReadFrameGrowsWithArrivals(t *testing.T) {
	for _, size := range []int{64<<10 + 1, 300 << 10, 1<<20 + 1} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			stream := claim(false, 1<<40, pattern(size))
			var err error
			got := allocBytes(1, func() {
				_, err = frameReader(bytes.NewReader(stream)).readFrame(false, 0)
			})
			require.Equal(t, io.ErrUnexpectedEOF, err, "got %v, want io.ErrUnexpectedEOF", err)
			want := uint64(6 * size)
			require.Less(t, got, want, "got %d bytes allocated for %d sent, want < %d", got, size, want)
		})
	}
}

// TestReadFrameSteadyStateAllocs checks that reading small frames from a
// bufio.Reader and freeing them allocates nothing.
func TestReadFrameSteadyStateAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items at random under the race detector")
	}
	for _, ipc := range []bool{false, true} {
		for _, size := range []int{0, 64, 1000, 64 << 10} {
			t.Run(fmt.Sprintf("ipc=%v/%d", ipc, size), func(t *testing.T) {
				br := frameReader(&loopReader{data: frame(ipc, pattern(size))})
				got := testing.AllocsPerRun(1000, func() {
					m, err := br.readFrame(ipc, 0)
					if err != nil {
						panic(err)
					}
					m.Free()
				})
				require.Zero(t, got, "got %v allocations per frame, want 0", got)
			})
		}
	}
}
