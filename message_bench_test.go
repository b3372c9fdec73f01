package sp_test

import (
	"fmt"
	"testing"

	"github.com/spgo/sp"
)

// BenchmarkMessage measures a message's life in the pool: NewMessage, a
// body written, and Free; Clone adds a reference dropped by a second Free,
// as a publisher's pipes do.
func BenchmarkMessage(b *testing.B) {
	for _, size := range []int{64, 64 << 10} {
		payload := make([]byte, size)
		b.Run(fmt.Sprintf("NewFree/%d", size), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				m := sp.NewMessage(size)
				m.Body = append(m.Body, payload...)
				m.Free()
			}
		})
		b.Run(fmt.Sprintf("Clone/%d", size), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				m := sp.NewMessage(size)
				m.Body = append(m.Body, payload...)
				m.Clone().Free()
				m.Free()
			}
		})
	}
}
