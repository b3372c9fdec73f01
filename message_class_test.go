package sp

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

// The class arithmetic (classOf, and Free's largest class that fits)
// relies on classes doubling from 1<<minClassBits.
func TestMessageClassesDouble(t *testing.T) {
	for i, c := range msgClasses {
		require.Equal(t, 1<<(minClassBits+i), c, "class %d: got %d, want %d", i, c, 1<<(minClassBits+i))
	}
}

func TestClassOf(t *testing.T) {
	last := msgClasses[len(msgClasses)-1]
	tests := []struct{ size, want int }{
		{0, 0}, {1, 0}, {256, 0}, {257, 1}, {512, 1}, {513, 2},
		{64 << 10, 8}, {64<<10 + 1, 9}, {last, len(msgClasses) - 1}, {last + 1, len(msgClasses)},
		{1 << 30, len(msgClasses)},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.size), func(t *testing.T) {
			got := classOf(tt.size)
			require.Equal(t, tt.want, got, "classOf(%d): got %d, want %d", tt.size, got, tt.want)
			// The smallest class that holds size: checked by a scan.
			want := len(msgClasses)
			for i, c := range msgClasses {
				if tt.size <= c {
					want = i
					break
				}
			}
			require.Equal(t, want, got, "classOf(%d) disagrees with a scan: got %d, want %d", tt.size, got, want)
		})
	}
}

// Free returns a buffer to the largest class its capacity covers (none if
// under the smallest), so that whatever NewMessage takes from a class holds
// the class's size.
func TestFreeClass(t *testing.T) {
	for _, size := range []int{1, 255, 256, 300, 511, 512, 1000, 64 << 10, 100 << 10, 4 << 20} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			newMessage(size).Free()
			for i, c := range msgClasses {
				n := NewMessage(c)
				require.GreaterOrEqual(t, cap(n.Body), c, "class %d gave a body of capacity %d", i, cap(n.Body))
			}
		})
	}
}
