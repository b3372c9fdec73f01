package udp

import (
	"fmt"
	"sync/atomic"
	"time"

	"github.com/spgo/sp"
)

// Options of the udp transport. Set them on a socket, dialer or listener:
//
//	s.Listen("udp://*:5555", sp.With(udp.MaxPeers, 64))
//
// The receive limit a connection advertises to its peer is sp.RecvMaxSize,
// cut to 65000 bytes (what one datagram carries; 0, no limit, also means
// 65000).
var (
	// Refresh is how often a dialer refreshes its connection (a CREQ,
	// answered by CACK) once connected, and a fifth of how long either side
	// waits, hearing nothing, before it drops the connection (default 5 s,
	// as nng). The two sides agree on the smaller of their values, which
	// travels in whole seconds, rounded up.
	Refresh = sp.NewOption[time.Duration]("udp:refresh")
	// ConnRetry is how often a dialer repeats its connection request until
	// the listener answers (default 200 ms, nng's NNG_OPT_UDP_CONN_RETRY).
	ConnRetry = sp.NewOption[time.Duration]("udp:conn-retry")
	// ConnExpire is how long a dialer waits for the answer before the dial
	// fails with sp.ErrTimeout (default 5 s, nng's NNG_OPT_UDP_CONN_EXPIRE).
	// The socket's HandshakeTimeout bounds the wait too.
	ConnExpire = sp.NewOption[time.Duration]("udp:conn-expire")
	// MaxPeers is how many peers a listener admits at once; a connection
	// request past it is refused (DISC 8, "no resources") and counted in
	// Counters.PeersRejected (default 1024, nng's NNG_OPT_UDP_MAX_PEERS; 0:
	// no limit).
	MaxPeers = sp.NewOption[int]("udp:max-peers")
	// CountersTo, set, names where an endpoint counts what it drops and
	// refuses (see Counters); one Counters may serve many endpoints.
	// Default nil: not counted.
	CountersTo = sp.NewOption[*Counters]("udp:counters")
	// PeerRecvMax is a pipe property: the receive limit the peer
	// advertised, the largest message Send lets through to it.
	PeerRecvMax = sp.NewOption[int]("udp:peer-recv-max")
)

// maxRefresh is the longest refresh the wire carries: 65535 s.
const maxRefresh = 65535 * time.Second

func init() {
	positive := func(d time.Duration) error {
		if d <= 0 {
			return fmt.Errorf("%v is not positive", d)
		}
		return nil
	}
	sp.RegisterOption(Refresh, 5*time.Second, func(d time.Duration) error {
		if d <= 0 || d > maxRefresh {
			return fmt.Errorf("%v is not from 1ns to %v", d, maxRefresh)
		}
		return nil
	})
	sp.RegisterOption(ConnRetry, 200*time.Millisecond, positive)
	sp.RegisterOption(ConnExpire, 5*time.Second, positive)
	sp.RegisterOption(MaxPeers, 1024, func(n int) error {
		if n < 0 {
			return fmt.Errorf("%d is negative", n)
		}
		return nil
	})
	sp.RegisterOption(CountersTo, nil, nil)
}

// Counters counts what udp endpoints drop or refuse, by reason. Give one
// to endpoints with the CountersTo option and read its fields at any time
// with Load. A Counters is safe for concurrent use.
//
// The socket's Stats().Drops counts the message drops too (the listener
// and dialer are sp.DropCounters): Malformed as Malformed, NoMatch as
// Stale, RecvQueueFull as QueueFull; RecvTooLarge as TooLarge, from the
// pipe. Messages a connection receives whole and then loses for other
// reasons (the socket's receive queue full, say) are counted there as for
// every transport.
type Counters struct {
	// Malformed: datagrams that are not SP over UDP (shorter than the
	// header, a version other than 1) or carry an unknown opcode (those
	// are answered with DISC 7). They are otherwise ignored.
	Malformed atomic.Uint64
	// NoMatch: DATA from an address with no connection, dropped.
	NoMatch atomic.Uint64
	// RecvTooLarge: DATA over the receive limit advertised, or claiming
	// more bytes than the datagram holds: the connection is closed (DISC 4).
	RecvTooLarge atomic.Uint64
	// RecvQueueFull: messages dropped because the connection's receive
	// queue was full; the oldest one goes, as in nng.
	RecvQueueFull atomic.Uint64
	// SendTooLarge: messages the connection refused, over the peer's
	// advertised limit or what one datagram carries. The socket refuses
	// them before they reach it (sp.SendLimiter), so this stays 0 unless
	// the connection is used without a socket.
	SendTooLarge atomic.Uint64
	// PeersInactive: connections dropped after five refresh intervals of
	// silence (DISC 6).
	PeersInactive atomic.Uint64
	// PeersRejected: connection requests a listener refused at MaxPeers.
	PeersRejected atomic.Uint64
}

// settings are the option values an endpoint reads when it starts.
type settings struct {
	refresh    time.Duration
	connRetry  time.Duration
	connExpire time.Duration
	maxPeers   int
	recvMax    int       // advertised: sp.RecvMaxSize, at most maxPayload
	counters   *Counters // the CountersTo option's, or own
	own        *Counters // the dialer's or listener's, for its Drops
}

// add counts one in the field f picks, in the option's Counters and in the
// endpoint's own.
func (s settings) add(f func(*Counters) *atomic.Uint64) {
	f(s.counters).Add(1)
	if s.own != nil && s.own != s.counters {
		f(s.own).Add(1)
	}
}

// drops turns a dialer's or listener's own counts into the socket's kinds
// (sp.DropCounter). A message over the receive limit is counted by the
// socket itself, from Recv's error; connections refused or dropped are not
// messages.
func drops(c *Counters) sp.Drops {
	return sp.Drops{
		Malformed: c.Malformed.Load(),
		Stale:     c.NoMatch.Load(), // for a connection that is not (or no longer) there
		QueueFull: c.RecvQueueFull.Load(),
	}
}

func get[T any](cfg sp.OptionGetter, o sp.Option[T], def T) T {
	v, err := sp.GetOption(cfg, o)
	if err != nil {
		return def
	}
	return v
}

func readSettings(cfg sp.OptionGetter) settings {
	s := settings{
		refresh:    get(cfg, Refresh, 5*time.Second),
		connRetry:  get(cfg, ConnRetry, 200*time.Millisecond),
		connExpire: get(cfg, ConnExpire, 5*time.Second),
		maxPeers:   get(cfg, MaxPeers, 1024),
		recvMax:    get(cfg, sp.RecvMaxSize, 1<<20),
		counters:   get[*Counters](cfg, CountersTo, nil),
	}
	if s.recvMax <= 0 || s.recvMax > maxPayload {
		s.recvMax = maxPayload
	}
	if s.counters == nil {
		s.counters = new(Counters) // counted, unseen
	}
	return s
}

// seconds is d in whole seconds for the wire, rounded up, as nng does: a
// refresh under a second travels as 1.
func seconds(d time.Duration) uint16 {
	s := (d + time.Second - 1) / time.Second
	return uint16(min(max(s, 1), 65535))
}
