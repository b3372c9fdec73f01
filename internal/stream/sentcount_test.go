package stream

import (
	"errors"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/spgo/sp/internal/wire"
	"github.com/stretchr/testify/require"
)

var errCut = errors.New("connection cut")

// cutConn takes limit bytes, then fails every write, as a connection that a
// close cuts short: a write that crosses the limit takes what fits.
type cutConn struct {
	net.Conn // nil: only Write is called
	limit    int
	took     int
}

func (c *cutConn) Write(b []byte) (int, error) {
	n := min(len(b), c.limit-c.took)
	c.took += n
	if n < len(b) {
		return n, errCut
	}
	return n, nil
}

func (c *cutConn) Read([]byte) (int, error)         { return 0, errCut }
func (c *cutConn) SetDeadline(time.Time) error      { return nil }
func (c *cutConn) SetReadDeadline(time.Time) error  { return nil }
func (c *cutConn) SetWriteDeadline(time.Time) error { return nil }

// SentCounts counts the messages whose frames a write carried whole, also
// when a close cuts the write short, and their bytes.
func TestSentCountsCutWrites(t *testing.T) {
	for _, ipc := range []bool{false, true} {
		hs := wire.FrameHeaderSize(ipc)
		bodies := []int{10, 20, 30, writeBufferSize + 100} // the last goes out on its own
		ends := []int{}
		end := 0
		for _, b := range bodies {
			end += hs + b
			ends = append(ends, end)
		}
		tests := []struct {
			name  string
			limit int
			msgs  int
		}{
			{"nothing written", 0, 0},
			{"half a prefix", hs / 2, 0},
			{"exactly the first frame", ends[0], 1},
			{"into the second frame", ends[0] + hs + 5, 1},
			{"the three small frames", ends[2], 3},
			{"into the large frame's body", ends[2] + hs + 50, 3},
			{"all but one byte", ends[3] - 1, 3},
			{"everything", ends[3], 4},
		}
		for _, tt := range tests {
			t.Run(fmt.Sprintf("ipc=%v/%s", ipc, tt.name), func(t *testing.T) {
				c := New(&cutConn{limit: tt.limit}, 0, ipc)
				var err error
				for i, n := range bodies {
					if err = c.Send(msg([]byte{1, 2}[:i%2], pattern(n)[:n-i%2])); err != nil {
						break
					}
				}
				if err == nil {
					err = c.Flush()
				}
				if tt.limit < ends[3] {
					require.ErrorIs(t, err, errCut)
				} else {
					require.NoError(t, err)
				}
				msgs, bytes := c.SentCounts()
				wantBytes := 0
				for _, n := range bodies[:tt.msgs] {
					wantBytes += n
				}
				require.Equalf(t, uint64(tt.msgs), msgs, "messages: got %d, want %d", msgs, tt.msgs)
				require.Equalf(t, uint64(wantBytes), bytes, "bytes: got %d, want %d", bytes, wantBytes)
			})
		}
	}
}
