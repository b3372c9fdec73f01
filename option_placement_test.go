package sp_test

import (
	"errors"
	"testing"
	"time"

	"github.com/spgo/sp"
	"github.com/spgo/sp/protocol/rep"
	"github.com/spgo/sp/protocol/req"
	"github.com/stretchr/testify/require"
)

// TestOptionPlacementErrors checks that an option set where it does not
// belong fails with ErrBadOption and a message that says where it belongs.
func TestOptionPlacementErrors(t *testing.T) {
	const url = "tcp://127.0.0.1:5555" // nothing dials: the options fail first
	tests := []struct {
		name string
		do   func(t *testing.T) error
		want string // the whole message
	}{
		{"socket option on Dial", func(t *testing.T) error {
			return mustSocket(t, req.NewSocket).Dial(url, sp.With(sp.RecvTimeout, time.Second))
		}, "sp: dial " + url + ": invalid option: recv-timeout is a socket option: set it on the socket with sp.SetOption, not on a dialer"},
		{"socket option on Listen", func(t *testing.T) error {
			_, err := mustSocket(t, req.NewSocket).Listen(url, sp.With(sp.SendQueueLen, 4))
			return err
		}, "sp: listen " + url + ": invalid option: send-queue-len is a socket option: set it on the socket with sp.SetOption, not on a listener"},
		{"socket option on a Dialer", func(t *testing.T) error {
			d, err := mustSocket(t, req.NewSocket).NewDialer(url)
			require.NoError(t, err)
			return sp.SetOption(d, sp.MaxTTL, 4)
		}, "sp: invalid option: max-ttl is a socket option: set it on the socket with sp.SetOption, not on a dialer"},
		{"socket option read on a Listener", func(t *testing.T) error {
			l, err := mustSocket(t, req.NewSocket).NewListener(url)
			require.NoError(t, err)
			_, err = sp.GetOption(l, sp.RecvTimeout)
			return err
		}, "sp: invalid option: recv-timeout is a socket option: set it on the socket with sp.SetOption, not on a listener"},
		{"protocol option on Dial", func(t *testing.T) error {
			return mustSocket(t, req.NewSocket).Dial(url, sp.With(req.ResendTime, time.Second))
		}, "sp: dial " + url + ": invalid option: req:resend-time is an option of req sockets: set it on the socket with sp.SetOption, not on a dialer"},
		{"another protocol's option", func(t *testing.T) error {
			return sp.SetOption(mustSocket(t, rep.NewSocket), req.ResendTime, time.Second)
		}, "sp: invalid option: req:resend-time is not an option of rep sockets"},
		{"dialer option on the socket", func(t *testing.T) error {
			return sp.SetOption(mustSocket(t, req.NewSocket), sp.DialSync, true)
		}, "sp: invalid option: dial-sync is a dialer option: pass it to Dial or NewDialer (sp.With), not to a socket"},
		{"dialer option on Listen", func(t *testing.T) error {
			_, err := mustSocket(t, req.NewSocket).Listen(url, sp.WithDialSync())
			return err
		}, "sp: listen " + url + ": invalid option: dial-sync is a dialer option: pass it to Dial or NewDialer (sp.With), not to a listener"},
		{"reconnect option on Listen", func(t *testing.T) error {
			_, err := mustSocket(t, req.NewSocket).Listen(url, sp.With(sp.ReconnectMin, time.Second))
			return err
		}, "sp: listen " + url + ": invalid option: reconnect-min is a dialer option (a listener does not reconnect): pass it to Dial or NewDialer, or set it on the socket"},
		{"reconnect option on a Listener", func(t *testing.T) error {
			l, err := mustSocket(t, req.NewSocket).NewListener(url)
			require.NoError(t, err)
			return sp.SetOption(l, sp.ReconnectMax, time.Second)
		}, "sp: invalid option: reconnect-max is a dialer option (a listener does not reconnect): pass it to Dial or NewDialer, or set it on the socket"},
		{"unknown option on the socket", func(t *testing.T) error {
			return sp.SetOption(mustSocket(t, req.NewSocket), sp.NewOption[int]("no-such"), 1)
		}, `sp: invalid option: unknown option "no-such" for a req socket`},
		{"unknown option on Dial", func(t *testing.T) error {
			return mustSocket(t, req.NewSocket).Dial(url, sp.With(sp.NewOption[int]("no-such"), 1))
		}, "sp: dial " + url + `: invalid option: unknown option "no-such" for a dialer of a req socket`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.do(t)
			require.ErrorIs(t, err, sp.ErrBadOption, "got %v, want an error wrapping ErrBadOption", err)
			require.Equal(t, tt.want, err.Error(), "got %q, want %q", err, tt.want)
		})
	}
}

// TestOptionPlacementAccepted checks that options are accepted where they
// belong: endpoint options on the socket (as the default) and on dialers
// and listeners, socket options on the socket, dial-sync on a dialer, the
// reconnect options on the socket and on a dialer.
func TestOptionPlacementAccepted(t *testing.T) {
	tests := []struct {
		name string
		do   func(s sp.Socket) error
	}{
		{"endpoint option on the socket", func(s sp.Socket) error { return sp.SetOption(s, sp.RecvMaxSize, 1<<10) }},
		{"endpoint option on a dialer", func(s sp.Socket) error {
			_, err := s.NewDialer("tcp://127.0.0.1:5555", sp.With(sp.HandshakeTimeout, time.Second))
			return err
		}},
		{"endpoint option on a listener", func(s sp.Socket) error {
			_, err := s.NewListener("tcp://127.0.0.1:0", sp.With(sp.RecvMaxSize, 1<<10))
			return err
		}},
		{"dial-sync on a dialer", func(s sp.Socket) error {
			d, err := s.NewDialer("tcp://127.0.0.1:5555", sp.WithDialSync())
			if err != nil {
				return err
			}
			v, err := sp.GetOption(d, sp.DialSync)
			if err == nil && !v {
				err = errors.New("dial-sync reads false")
			}
			return err
		}},
		{"protocol option on the socket", func(s sp.Socket) error { return sp.SetOption(s, req.ResendTime, time.Second) }},
		{"reconnect option on the socket", func(s sp.Socket) error { return sp.SetOption(s, sp.ReconnectMin, time.Second) }},
		{"reconnect option on a dialer", func(s sp.Socket) error {
			_, err := s.NewDialer("tcp://127.0.0.1:5555", sp.With(sp.ReconnectMin, time.Second), sp.With(sp.ReconnectMax, time.Minute))
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.do(mustSocket(t, req.NewSocket))
			require.NoError(t, err, "got %v, want no error", err)
		})
	}
}
