package main

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/spgo/sp/internal/interop"
	"github.com/spgo/sp/protocol/push"
	"github.com/stretchr/testify/require"
)

// allBytes is 0x00..0xff, the message that shows every byte's treatment.
func allBytes() []byte {
	b := make([]byte, 256)
	for i := range b {
		b[i] = byte(i)
	}
	return b
}

// expected outputs, captured from nngcat 1.5.2.
func TestFormatTable(t *testing.T) {
	quotedAll := `"\x00\x01\x02\x03\x04\x05\x06\x07\x08\t\n\x0b\x0c\r\x0e\x0f` +
		`\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f` +
		` !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_` +
		"`abcdefghijklmnopqrstuvwxyz{|}~"
	for c := 0x7f; c < 0x100; c++ {
		quotedAll += fmt.Sprintf(`\x%02x`, c)
	}
	quotedAll += "\"\n"
	hexAll := `"`
	for c := 0; c < 0x100; c++ {
		hexAll += fmt.Sprintf(`\x%02x`, c)
	}
	hexAll += "\"\n"
	asciiAll := strings.Repeat(".", 32) + " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_" +
		"`abcdefghijklmnopqrstuvwxyz{|}~" + strings.Repeat(".", 129)
	big := bytes.Repeat([]byte("a"), 70000)
	tests := []struct {
		format string
		in     []byte
		want   []byte
	}{
		{"quoted", []byte("hi"), []byte("\"hi\"\n")},
		{"quoted", nil, []byte("\"\"\n")},
		{"quoted", allBytes(), []byte(quotedAll)},
		{"hex", []byte("hi"), []byte(`"\x68\x69"` + "\n")},
		{"hex", nil, []byte("\"\"\n")},
		{"hex", allBytes(), []byte(hexAll)},
		{"ascii", []byte("a\nb"), []byte("a.b")},
		{"ascii", nil, nil},
		{"ascii", allBytes(), []byte(asciiAll)},
		{"raw", allBytes(), allBytes()},
		{"raw", nil, nil},
		{"msgpack", nil, []byte{0xc4, 0}},
		{"msgpack", []byte("hi"), []byte{0xc4, 2, 'h', 'i'}},
		{"msgpack", allBytes(), append([]byte{0xc5, 1, 0}, allBytes()...)},
		{"msgpack", big, append([]byte{0xc6, 0, 1, 0x11, 0x70}, big...)},
		{"no", allBytes(), nil},
		{"", allBytes(), nil},
	}
	for _, tt := range tests {
		got := formatMsg(tt.format, tt.in)
		require.Equal(t, string(tt.want), string(got), "format %s of %d bytes", tt.format, len(tt.in))
	}
}

// TestFormatAgainstNngcat has nngcat print the same messages in every
// format and compares byte for byte.
func TestFormatAgainstNngcat(t *testing.T) {
	interop.Tool(t, "nngcat")
	msgs := [][]byte{allBytes(), nil, []byte("hello \"world\"\\\n"), bytes.Repeat([]byte{0xfe, 'x'}, 40000)}
	for _, format := range []string{"ascii", "quoted", "hex", "msgpack", "raw", "no"} {
		t.Run(format, func(t *testing.T) {
			t.Parallel()
			url := fmt.Sprintf("tcp://127.0.0.1:%d", interop.FreeTCPPort(t))
			p := interop.Start(t, "nngcat", "--pull", "--listen", url, "--format", format, "--count", fmt.Sprint(len(msgs)))
			s, err := push.NewSocket()
			require.NoError(t, err)
			defer s.Close()
			require.NoError(t, s.Dial(url))
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			var want []byte
			for _, m := range msgs {
				require.NoError(t, s.Send(ctx, m))
				want = append(want, formatMsg(format, m)...)
			}
			require.NoError(t, p.Wait(10*time.Second))
			require.Equal(t, want, p.Stdout())
		})
	}
}
