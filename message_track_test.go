package sp

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/spgo/sp/internal/msgtrack"
)

// untracked is what owner returns for a message without a record.
const untracked msgtrack.Owner = 99

// owner returns who holds m as its tracking record says.
func owner(m *Message) msgtrack.Owner {
	if m.trk == nil {
		return untracked
	}
	return m.trk.Owner()
}

func TestMessageTracking(t *testing.T) {
	msgtrack.Enable() // VerifyTestMain does, unless the binary runs benchmarks
	tests := []struct {
		name string
		// run does something with m, from NewMessage(64), and returns
		// the message to look at; the test frees both afterwards
		// (once: run returns m itself, or a copy).
		run  func(m *Message) *Message
		want msgtrack.Owner
	}{
		{"new", func(m *Message) *Message { return m }, msgtrack.User},
		{"taken over", func(m *Message) *Message { msgtrack.ToLibrary(m); return m }, msgtrack.Library},
		{"handed to the user", func(m *Message) *Message {
			msgtrack.ToLibrary(m)
			msgtrack.ToUser(m)
			return m
		}, msgtrack.User},
		{"one of two references freed", func(m *Message) *Message {
			msgtrack.ToLibrary(m)
			m.Clone().Free()
			return m
		}, msgtrack.Library},
		{"header joined in a new buffer", func(m *Message) *Message {
			msgtrack.ToLibrary(m)
			m.Body = append(m.Body, make([]byte, 256)...)
			m.Header = append(m.Header, make([]byte, headroom+1)...)
			m.JoinHeader()
			return m
		}, msgtrack.Library},
		{"the library's copy", func(m *Message) *Message {
			msgtrack.ToLibrary(m)
			d := m.Dup()
			m.Free()
			return d
		}, msgtrack.Library},
		{"the library's unshared copy", func(m *Message) *Message {
			msgtrack.ToLibrary(m)
			c := m.Clone()
			u := c.MakeUnique()
			m.Free()
			return u
		}, msgtrack.Library},
		{"the user's copy", func(m *Message) *Message {
			d := m.Dup()
			m.Free()
			return d
		}, msgtrack.User},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := tt.run(NewMessage(64))
			require.Equalf(t, tt.want, owner(m), "got owner %d, want %d", owner(m), tt.want)
			trk := m.trk
			m.Free()
			require.Equalf(t, msgtrack.Freed, trk.Owner(), "after Free: got owner %d, want %d (freed)", trk.Owner(), msgtrack.Freed)
		})
	}
	t.Run("reused", func(t *testing.T) {
		for range 10 {
			m := NewMessage(64)
			msgtrack.ToLibrary(m)
			m.Free()
			m = NewMessage(64) // as a rule, the same
			require.Equalf(t, msgtrack.User, owner(m), "got owner %d of a message from the pool, want %d (the user)", owner(m), msgtrack.User)
			m.Free()
		}
	})
	t.Run("not pooled", func(t *testing.T) {
		for _, m := range []*Message{NewMessage(2 * msgClasses[len(msgClasses)-1]), {Body: []byte("mine")}} {
			msgtrack.ToLibrary(m) // ignored
			require.Nilf(t, m.trk, "got a record for a message of %d bytes outside the pool, want none", cap(m.Body))
		}
	})
}
