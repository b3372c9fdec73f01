package core

import (
	"errors"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/spgo/sp"
)

// traffic counts messages and bytes; each counter has one writer at a time
// (a pipe's reader or writer goroutine, a sender going direct, or the
// receiver holding the pipe's read role, which adds in batches: see
// readRole.count), so counting never contends. An eager connection
// (inproc) counts what it sends itself, and a recvCounter what it receives
// (Pipe.trafficNow).
type traffic struct {
	msgsSent, bytesSent, msgsRecv, bytesRecv atomic.Uint64
}

func (t *traffic) snapshot() sp.Traffic {
	return sp.Traffic{
		MsgsSent:  t.msgsSent.Load(),
		BytesSent: t.bytesSent.Load(),
		MsgsRecv:  t.msgsRecv.Load(),
		BytesRecv: t.bytesRecv.Load(),
	}
}

func (t *traffic) add(o sp.Traffic) {
	t.msgsSent.Add(o.MsgsSent)
	t.bytesSent.Add(o.BytesSent)
	t.msgsRecv.Add(o.MsgsRecv)
	t.bytesRecv.Add(o.BytesRecv)
}

// conns counts connection events.
type conns struct {
	connects, disconnects, dialFailures, handshakeFailures, rejected atomic.Uint64
}

func (c *conns) snapshot() sp.Connections {
	return sp.Connections{
		Connects:          c.connects.Load(),
		Disconnects:       c.disconnects.Load(),
		DialFailures:      c.dialFailures.Load(),
		HandshakeFailures: c.handshakeFailures.Load(),
		Rejected:          c.rejected.Load(),
	}
}

// count applies f to the counters of both the endpoint and the socket.
func (b *epBase) count(f func(*conns) *atomic.Uint64) {
	f(&b.conns).Add(1)
	f(&b.s.conns).Add(1)
}

// DropReason says why a protocol dropped a message.
type DropReason int

// Reasons for drops, as sp.Drops counts them.
const (
	DropQueueFull DropReason = iota
	DropTooLarge
	DropTTL
	DropNoMatch
	DropMalformed
	DropStale
	numDropReasons
)

// droppedFor counts the message behind a pipe's failure, if the failure is
// about a message (too large, malformed) rather than the connection. It is
// counted where the failure is seen, not from the pipe's close reason: a
// write error may close the pipe first.
func (s *Socket) droppedFor(err error) {
	switch {
	case errors.Is(err, sp.ErrTooLarge):
		s.Dropped(DropTooLarge)
	case errors.Is(err, sp.ErrMalformed):
		s.Dropped(DropMalformed)
	}
}

// Dropped counts a message dropped for reason r.
func (s *Socket) Dropped(r DropReason) { s.drops[r].Add(1) }

// Counter returns the protocol counter named name (such as "resends"),
// shown in sp.SocketStats.Counters. Protocols look it up once and keep it.
func (s *Socket) Counter(name string) *atomic.Uint64 {
	s.countersMu.Lock()
	defer s.countersMu.Unlock()
	if s.counters == nil {
		s.counters = make(map[string]*atomic.Uint64)
	}
	c := s.counters[name]
	if c == nil {
		c = new(atomic.Uint64)
		s.counters[name] = c
	}
	return c
}

type counterSet struct {
	countersMu sync.Mutex
	counters   map[string]*atomic.Uint64
}

// Stats implements sp.Socket.
func (s *Socket) Stats() sp.SocketStats {
	st := sp.SocketStats{
		Name:      Get(s.opts, sp.SocketName),
		Protocol:  s.info.SelfName,
		Raw:       Get(s.opts, sp.Raw),
		RecvQueue: s.RecvQ.Len(),
		Drops: sp.Drops{
			QueueFull: s.drops[DropQueueFull].Load(),
			TooLarge:  s.drops[DropTooLarge].Load(),
			TTL:       s.drops[DropTTL].Load(),
			NoMatch:   s.drops[DropNoMatch].Load(),
			Malformed: s.drops[DropMalformed].Load(),
			Stale:     s.drops[DropStale].Load(),
		},
	}
	s.countersMu.Lock()
	if len(s.counters) > 0 {
		st.Counters = make(map[string]uint64, len(s.counters))
		for k, c := range s.counters {
			st.Counters[k] = c.Load()
		}
	}
	s.countersMu.Unlock()

	// Under the lock, so that a pipe is counted either live or retired.
	s.mu.Lock()
	st.Traffic = s.retired.snapshot()
	st.Connections = s.conns.snapshot()
	index := make(map[endpoint]int, len(s.endpoints))
	addDrops(&st.Drops, s.retiredDrops)
	for e := range s.endpoints {
		addDrops(&st.Drops, transportDrops(e))
		b := e.base()
		_, dialer := e.(*dialer)
		index[e] = len(st.Endpoints)
		st.Endpoints = append(st.Endpoints, sp.EndpointStats{
			URL: b.URL(), Dialer: dialer, Traffic: b.retired.snapshot(), Connections: b.conns.snapshot(),
		})
	}
	for _, p := range s.pipes {
		t, queued := p.trafficNow()
		st.Traffic.Add(t)
		if i, ok := index[p.ep]; ok {
			st.Endpoints[i].Traffic.Add(t)
			st.Endpoints[i].Pipes++
		}
		st.PipeList = append(st.PipeList, sp.PipeStats{
			ID:           p.id,
			LocalAddr:    addrString(p.LocalAddr()),
			RemoteAddr:   addrString(p.RemoteAddr()),
			PeerProtocol: p.PeerProtocol(),
			SendQueue:    queued,
			Traffic:      t,
		})
	}
	st.Pipes = len(s.pipes)
	s.mu.Unlock()
	sort.Slice(st.PipeList, func(i, j int) bool { return st.PipeList[i].ID < st.PipeList[j].ID })
	sort.Slice(st.Endpoints, func(i, j int) bool { return st.Endpoints[i].URL < st.Endpoints[j].URL })
	return st
}

func addrString(a interface{ String() string }) string {
	if a == nil {
		return ""
	}
	return a.String()
}

// transportDrops returns what e's transport dialer or listener dropped
// below its connections (sp.DropCounter), if it counts.
func transportDrops(e endpoint) sp.Drops {
	var t any
	switch e := e.(type) {
	case *dialer:
		t = e.tran
	case *listener:
		t = e.tran
	}
	if dc, ok := t.(sp.DropCounter); ok {
		return dc.Drops()
	}
	return sp.Drops{}
}

func addDrops(d *sp.Drops, x sp.Drops) {
	d.QueueFull += x.QueueFull
	d.TooLarge += x.TooLarge
	d.TTL += x.TTL
	d.NoMatch += x.NoMatch
	d.Malformed += x.Malformed
	d.Stale += x.Stale
}
