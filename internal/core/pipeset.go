package core

import (
	"context"
	"sync"
	"time"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/wire"
)

// PipeSet is a protocol's set of pipes, kept in the order they joined and
// indexed by id, for protocols that send to all their peers (pub, bus,
// surveyor) or answer one by id (rep, respondent). It is safe for concurrent
// use; the zero value is ready.
type PipeSet struct {
	mu   sync.RWMutex
	list []*Pipe
	byID map[uint32]*Pipe
}

// Add adds p.
func (ps *PipeSet) Add(p *Pipe) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if ps.byID == nil {
		ps.byID = make(map[uint32]*Pipe)
	}
	ps.list = append(ps.list, p)
	ps.byID[p.id] = p
}

// Remove removes p.
func (ps *PipeSet) Remove(p *Pipe) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	delete(ps.byID, p.id)
	for i, q := range ps.list {
		if q == p {
			ps.list = append(ps.list[:i], ps.list[i+1:]...)
			return
		}
	}
}

// Get returns the pipe with the given id, or nil.
func (ps *PipeSet) Get(id uint32) *Pipe {
	ps.mu.RLock()
	defer ps.mu.RUnlock()
	return ps.byID[id]
}

// Len returns the number of pipes.
func (ps *PipeSet) Len() int {
	ps.mu.RLock()
	defer ps.mu.RUnlock()
	return len(ps.list)
}

// Broadcast queues m, shared rather than copied, on every pipe whose queue
// has room except skip (which may be nil), drops it for the others, and
// releases the caller's reference. It never blocks.
func (ps *PipeSet) Broadcast(m *sp.Message, skip *Pipe) {
	ps.mu.RLock()
	for _, p := range ps.list {
		if p != skip && !p.TrySend(m.Clone()) {
			m.Free() // that peer is slow: it loses this message
			p.sock.Dropped(DropQueueFull)
		}
	}
	ps.mu.RUnlock()
	m.Free()
}

// SendOrDrop queues m for p, waiting for room until ctx ends or the timeout
// passes. If p closes first, m is dropped without error: the peer is gone,
// and the protocols that address one pipe (rep, respondent) promise no more.
// It owns m.
func (p *Pipe) SendOrDrop(ctx context.Context, m *sp.Message, timeout time.Duration) error {
	if p.TrySend(m) {
		return nil
	}
	dl := NewDeadline(timeout)
	defer dl.Stop()
	if err := p.Send(ctx, m, &dl); err != nil {
		m.Free()
		if err == sp.ErrClosed {
			p.sock.Dropped(DropStale)
			return nil
		}
		return err
	}
	return nil
}

// DeliverReply moves the backtrace heading a received reply (or answer)
// into m.Header and queues m for Recv, for raw req and raw surveyor sockets.
// A backtrace that never ends is garbage: it closes p.
func (s *Socket) DeliverReply(p *Pipe, m *sp.Message) {
	n, err := wire.BacktraceLen(m.Body)
	if err != nil {
		m.Free()
		p.CloseWith(err)
		return
	}
	m.Header = append(m.Header[:0], m.Body[:n]...)
	m.Body = m.Body[n:]
	s.Deliver(p, m)
}

// SplitBacktrace moves the backtrace heading a received request (or survey)
// into m.Header, behind the id of the pipe it came on, and returns m. A
// backtrace that never ends is garbage: it closes p. One with more words
// than sp.MaxTTL allows is dropped. Both return nil, having freed m.
func (s *Socket) SplitBacktrace(p *Pipe, m *sp.Message) *sp.Message {
	n, err := wire.BacktraceLen(m.Body)
	if err != nil {
		m.Free()
		p.CloseWith(err)
		return nil
	}
	if n/4 > s.MaxTTL() {
		m.Free()
		s.Dropped(DropTTL)
		return nil
	}
	m.Header = wire.AppendUint32(m.Header[:0], p.id)
	m.Header = append(m.Header, m.Body[:n]...)
	m.Body = m.Body[n:]
	return m
}
