package sp_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/spgo/sp"
)

func TestMessagePoolReuse(t *testing.T) {
	tests := []struct {
		name  string
		size  int
		touch func(m *sp.Message)
	}{
		{"untouched", 64, func(m *sp.Message) {}},
		{"filled", 64, func(m *sp.Message) { m.Body = append(m.Body, make([]byte, 64)...) }},
		// A protocol strips a header off the front of a received body: the
		// Body's capacity falls under the buffer's size class.
		{"front sliced off", 256, func(m *sp.Message) { m.Body = m.Body[:256][4:] }},
		{"header set", 64, func(m *sp.Message) { m.Header = append(m.Header, 0, 0, 0, 1) }},
		{"large", 100 << 10, func(m *sp.Message) { m.Body = m.Body[:100<<10][8:] }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := sp.NewMessage(tt.size)
			want := cap(m.Body)
			allocs := testing.AllocsPerRun(100, func() {
				m := sp.NewMessage(tt.size)
				tt.touch(m)
				m.Free()
			})
			m.Free()
			if !raceEnabled { // the pool drops at random under it
				require.Zerof(t, allocs, "got %v allocations per NewMessage+Free, want 0", allocs)
			}
			m = sp.NewMessage(tt.size)
			defer m.Free()
			require.Zero(t, len(m.Body), "a recycled message's Body is empty")
			require.Zero(t, len(m.Header), "a recycled message's Header is empty")
			require.Equalf(t, want, cap(m.Body), "got Body capacity %d, want %d", cap(m.Body), want)
		})
	}
}

func TestMessageFreeKeepsApplicationSlices(t *testing.T) {
	mine := make([]byte, 1024)
	for i := range mine {
		mine[i] = 'a'
	}
	for range 100 {
		m := sp.NewMessage(1024)
		m.Body = mine // the application's own buffer
		m.Free()
		n := sp.NewMessage(1024)
		n.Body = append(n.Body, make([]byte, 1024)...)
		for i := range n.Body {
			n.Body[i] = 'b'
		}
		n.Free()
	}
	for i, b := range mine {
		require.Equalf(t, byte('a'), b, "byte %d: got %q, want 'a': the pool handed out the application's slice", i, b)
	}
}

func TestMessageClone(t *testing.T) {
	m := sp.NewMessage(8)
	m.Body = append(m.Body, "hello"...)
	c := m.Clone()
	require.True(t, m.Shared(), "got Shared false after Clone, want true")
	u := c.MakeUnique()
	require.NotSame(t, m, u, "MakeUnique of a shared message must copy")
	require.Equal(t, "hello", string(u.Body))
	require.False(t, m.Shared(), "got Shared true after the copy dropped its reference, want false")
	u.Body[0] = 'j'
	require.Equal(t, "hello", string(m.Body), "the copy must not write through to the original")
	require.Same(t, m, m.MakeUnique(), "MakeUnique of an unshared message returns it")
	m.Free()
	u.Free()
}

func TestMessageDup(t *testing.T) {
	m := sp.NewMessage(8)
	m.Header = append(m.Header, 1, 2)
	m.Body = append(m.Body, "body"...)
	d := m.Dup()
	require.Equal(t, m.Header, d.Header)
	require.Equal(t, m.Body, d.Body)
	d.Body[0] = 'B'
	require.Equal(t, "body", string(m.Body), "got a Dup sharing its Body, want a copy")
	m.Free()
	d.Free()
}

func TestMessageJoinHeader(t *testing.T) {
	header := []byte{0x80, 0, 0, 7}
	tests := []struct {
		name   string
		header []byte
		make   func() *sp.Message // with a body of "body" bytes
		inside bool               // the body stays where it is
	}{
		{"fresh from NewMessage", header, func() *sp.Message {
			m := sp.NewMessage(64)
			m.Body = append(m.Body, "body"...)
			return m
		}, true},
		{"a full buffer", header, func() *sp.Message {
			m := sp.NewMessage(256)
			m.Body = append(m.Body, make([]byte, 252)...)
			m.Body = append(m.Body, "body"...)
			return m
		}, true},
		{"8-byte header", []byte("12345678"), func() *sp.Message {
			m := sp.NewMessage(64)
			m.Body = append(m.Body, "body"...)
			return m
		}, true},
		{"12-byte header", []byte("123456789abc"), func() *sp.Message {
			m := sp.NewMessage(64)
			m.Body = append(m.Body, "body"...)
			return m
		}, true},
		{"32-byte header", make([]byte, 32), func() *sp.Message {
			m := sp.NewMessage(64)
			m.Body = append(m.Body, "body"...)
			return m
		}, true},
		{"33-byte header, room behind", make([]byte, 33), func() *sp.Message {
			m := sp.NewMessage(64)
			m.Body = append(m.Body, "body"...)
			return m
		}, false},
		{"front sliced off", header, func() *sp.Message {
			m := sp.NewMessage(64)
			m.Body = append(m.Body, "hdr:body"...)[4:]
			return m
		}, false},
		{"an application's slice", header, func() *sp.Message {
			m := sp.NewMessage(64)
			m.Body = []byte("body")
			return m
		}, false},
		{"no header", nil, func() *sp.Message {
			m := sp.NewMessage(64)
			m.Body = append(m.Body, "body"...)
			return m
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := tt.make()
			body := m.Body
			want := append(append([]byte(nil), tt.header...), body...)
			m.Header = append(m.Header, tt.header...)
			require.True(t, m.JoinHeader(), "got false for an unshared message, want true")
			require.Equal(t, want, m.Body, "got Body %q, want header then body %q", m.Body, want)
			require.Empty(t, m.Header, "got Header %q after JoinHeader, want it empty", m.Header)
			moved := &m.Body[len(tt.header)] != &body[0]
			require.Equal(t, !tt.inside, moved, "body moved: got %v, want %v", moved, !tt.inside)
			m.Free()
		})
	}
	t.Run("shared", func(t *testing.T) {
		m := sp.NewMessage(64)
		m.Body = append(m.Body, "body"...)
		m.Header = append(m.Header, header...)
		other := m.Clone()
		require.False(t, m.JoinHeader(), "got true for a shared message, want false")
		require.Equal(t, "body", string(m.Body), "a shared message's Body changed")
		require.Equal(t, header, m.Header, "a shared message's Header changed")
		other.Free()
		m.Free()
	})
	t.Run("no allocation in place", func(t *testing.T) {
		if raceEnabled {
			t.Skip("sync.Pool drops items at random under the race detector")
		}
		allocs := testing.AllocsPerRun(100, func() {
			m := sp.NewMessage(64)
			m.Body = append(m.Body, "body"...)
			m.Header = append(m.Header, header...)
			m.JoinHeader()
			m.Free()
		})
		require.Zerof(t, allocs, "got %v allocations per join, want 0", allocs)
	})
}
