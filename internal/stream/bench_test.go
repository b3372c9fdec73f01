package stream

import (
	"testing"
)

func BenchmarkReadFrame64(b *testing.B) { benchReadFrame(b, 64) }

func BenchmarkReadFrame64K(b *testing.B) { benchReadFrame(b, 64<<10) }

// benchReadFrame reads frames of size payload bytes from a bufio.Reader, as a
// transport's reader goroutine does, freeing each message.
func benchReadFrame(b *testing.B, size int) {
	for _, tc := range []struct {
		name string
		ipc  bool
	}{{"tcp", false}, {"ipc", true}} {
		b.Run(tc.name, func(b *testing.B) {
			br := frameReader(&loopReader{data: frame(tc.ipc, pattern(size))})
			b.ReportAllocs()
			b.SetBytes(int64(size))
			for b.Loop() {
				m, err := br.readFrame(tc.ipc, 0)
				if err != nil {
					b.Fatal(err)
				}
				m.Free()
			}
		})
	}
}
