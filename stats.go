package sp

import (
	"encoding/json"
	"expvar"
	"net/http"
)

// Traffic counts the messages and bytes (headers included) that moved
// through a socket, an endpoint or a pipe since it was made.
type Traffic struct {
	MsgsSent  uint64 `json:"msgs_sent"`
	BytesSent uint64 `json:"bytes_sent"`
	MsgsRecv  uint64 `json:"msgs_recv"`
	BytesRecv uint64 `json:"bytes_recv"`
}

// Add adds o's counts to t.
func (t *Traffic) Add(o Traffic) {
	t.MsgsSent += o.MsgsSent
	t.BytesSent += o.BytesSent
	t.MsgsRecv += o.MsgsRecv
	t.BytesRecv += o.BytesRecv
}

// Drops counts the messages a socket dropped, by reason.
type Drops struct {
	// QueueFull: a peer's send queue or the socket's receive queue had no
	// room (a slow subscriber, say).
	QueueFull uint64 `json:"queue_full"`
	// TooLarge: a message over RecvMaxSize (its pipe was closed).
	TooLarge uint64 `json:"too_large"`
	// TTL: a message that had crossed more than MaxTTL hops.
	TTL uint64 `json:"ttl"`
	// NoMatch: a message no subscription matched.
	NoMatch uint64 `json:"no_match"`
	// Malformed: a message that broke the protocol's header rules (its
	// pipe was closed).
	Malformed uint64 `json:"malformed"`
	// Stale: a reply, answer or message for a request, survey or pipe
	// that is gone.
	Stale uint64 `json:"stale"`
}

// Connections counts what happened to an endpoint's connections.
type Connections struct {
	// Connects: pipes that joined the socket.
	Connects uint64 `json:"connects"`
	// Disconnects: pipes that left it.
	Disconnects uint64 `json:"disconnects"`
	// DialFailures: dial attempts that made no pipe (refused, timed out).
	DialFailures uint64 `json:"dial_failures"`
	// HandshakeFailures: connections whose SP (or TLS, or WebSocket)
	// handshake failed or timed out. (A ws listener cannot count what
	// net/http refuses before the request names its path: bytes that are
	// not HTTP, a request never finished.)
	HandshakeFailures uint64 `json:"handshake_failures"`
	// Rejected: connections refused after the handshake: a peer of the
	// wrong protocol, one the pipe hook refused, a second pair peer.
	Rejected uint64 `json:"rejected"`
}

// Add adds o's counts to c.
func (c *Connections) Add(o Connections) {
	c.Connects += o.Connects
	c.Disconnects += o.Disconnects
	c.DialFailures += o.DialFailures
	c.HandshakeFailures += o.HandshakeFailures
	c.Rejected += o.Rejected
}

// PipeStats is a snapshot of one pipe.
type PipeStats struct {
	ID           uint32 `json:"id"`
	LocalAddr    string `json:"local_addr"`
	RemoteAddr   string `json:"remote_addr"`
	PeerProtocol uint16 `json:"peer_protocol"`
	// SendQueue is the number of messages waiting in the pipe's send
	// queue (over inproc: in the connection, for the peer to take). It
	// does not show what the pipe's writer or the kernel still hold, so
	// waiting for it to reach 0 is no way to know that everything left:
	// Socket.Shutdown is.
	SendQueue int `json:"send_queue"`
	Traffic
}

// EndpointStats is a snapshot of one dialer or listener; its traffic
// includes that of its pipes that have closed.
type EndpointStats struct {
	URL    string `json:"url"`
	Dialer bool   `json:"dialer"` // else a listener
	Pipes  int    `json:"pipes"`  // now
	Traffic
	Connections
}

// SocketStats is a snapshot of a socket: totals, drops, per-endpoint and
// per-pipe figures, and the protocol's own counters (such as "resends" for
// req or "surveys_timed_out" for surveyor).
type SocketStats struct {
	Name     string `json:"name"`
	Protocol string `json:"protocol"`
	Raw      bool   `json:"raw"`
	Pipes    int    `json:"pipes"` // now
	// RecvQueue is the number of received messages waiting for Recv.
	RecvQueue int `json:"recv_queue"`
	Traffic
	Connections
	Drops     Drops             `json:"drops"`
	Counters  map[string]uint64 `json:"counters,omitempty"`
	Endpoints []EndpointStats   `json:"endpoints"`
	PipeList  []PipeStats       `json:"pipe_list"`
}

// StatsHandler returns an http.Handler that serves the statistics of the
// given sockets as a JSON array, so that an operator can curl a running
// service.
func StatsHandler(sockets ...Socket) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.Encode(snapshot(sockets))
	})
}

// PublishStats publishes the statistics of the given sockets with expvar
// under name (served at /debug/vars with expvar's handler). Like
// expvar.Publish, it panics if name is already taken.
func PublishStats(name string, sockets ...Socket) {
	expvar.Publish(name, expvar.Func(func() any { return snapshot(sockets) }))
}

func snapshot(sockets []Socket) []SocketStats {
	out := make([]SocketStats, 0, len(sockets))
	for _, s := range sockets {
		out = append(out, s.Stats())
	}
	return out
}
