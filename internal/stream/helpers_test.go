package stream

import (
	"bufio"
	"bytes"
	"io"
	"runtime"
	"testing/iotest"

	"github.com/spgo/sp/internal/wire"
)

// readerKinds are the ways tests feed a stream to the frame reader through
// its io.Reader path (the one tls takes): whole, through a buffering reader,
// in short reads, and a byte at a time. The descriptor path is tested over
// real sockets in reader_test.go.
var readerKinds = []struct {
	name string
	wrap func([]byte) io.Reader
}{
	{"bufio", func(b []byte) io.Reader { return bufio.NewReader(bytes.NewReader(b)) }},
	{"plain", func(b []byte) io.Reader { return bytes.NewReader(b) }},
	{"half", func(b []byte) io.Reader { return iotest.HalfReader(bytes.NewReader(b)) }},
	{"bufio-onebyte", func(b []byte) io.Reader {
		return bufio.NewReader(iotest.OneByteReader(bytes.NewReader(b)))
	}},
}

// pattern returns n bytes that differ from one offset to the next, so that
// misplaced or reordered bytes show.
func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i>>8)
	}
	return b
}

// frame returns the frame that carries payload.
func frame(ipc bool, payload []byte) []byte {
	return append(wire.AppendFrameHeader(nil, ipc, len(payload)), payload...)
}

// claim returns a frame prefix that claims n bytes followed by the bytes
// actually sent.
func claim(ipc bool, n uint64, sent []byte) []byte {
	var b []byte
	if ipc {
		b = append(b, 0x01) // the ipc message type
	}
	b = append(b, byte(n>>56), byte(n>>48), byte(n>>40), byte(n>>32),
		byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	return append(b, sent...)
}

// loopReader returns its data over and over, never EOF, without allocating.
type loopReader struct {
	data []byte
	off  int
}

func (l *loopReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		c := copy(p[n:], l.data[l.off:])
		n += c
		l.off = (l.off + c) % len(l.data)
	}
	return n, nil
}

// allocBytes returns the bytes allocated by one call of f, averaged over runs.
func allocBytes(runs int, f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for range runs {
		f()
	}
	runtime.ReadMemStats(&after)
	return (after.TotalAlloc - before.TotalAlloc) / uint64(runs)
}

// frameReader returns a frame reader over src.
func frameReader(src io.Reader) *reader {
	b := new(reader)
	b.init(src)
	return b
}
