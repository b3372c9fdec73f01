package inproc

import (
	"sync"
	"sync/atomic"

	"github.com/spgo/sp"
)

// A lane carries messages one way: a ring that senders fill and one
// receiver empties. Senders take a lock among themselves (SendNow may run
// in several goroutines at once); the receiver takes none. Each side tells
// the other what it did through one atomic counter (tail: appended; head:
// taken), so the receiver, which never shares a lock with a sender, costs
// a sender nothing while it reads.
//
// Each end waits on a channel of its own, for a token the other end gives
// when it does what the waiter waits for: a wait is one channel operation,
// as on a bare Go channel. A waiter says it waits (an atomic flag) and then
// looks again; the other end updates its counter and then looks at the
// flag. Each stores before it loads, so one of the two sees the other: the
// waiter sees the change, or the other end sees it wait and wakes it.
type lane struct {
	smu       sync.Mutex    // held by the sender that appends
	ring      []*sp.Message // its length is a power of two, at least limit
	limit     uint64        // the most messages in the lane; set before the first send
	sentBytes uint64        // all the senders appended; under smu
	onRoom    func()        // what NotifyRoom registered; set before the first send

	tail atomic.Uint64 // messages appended, ever
	head atomic.Uint64 // messages taken, ever, as far as the receiver has said

	ended  atomic.Bool
	rxWait atomic.Bool   // the receiver waits on rx
	txWait atomic.Bool   // a sender waits on tx (or found the lane full)
	rx     chan struct{} // a token for the receiver: messages, the end, a new deadline
	tx     chan struct{} // a token for a sender: room, or the end
}

// laneCap is a lane's limit until SetSendQueueLen sets it.
const laneCap = 64

func newLane() *lane {
	l := &lane{rx: make(chan struct{}, 1), tx: make(chan struct{}, 1)}
	l.setLimit(laneCap)
	return l
}

// setLimit sizes the ring for n messages (at least 1); before the first
// send.
func (l *lane) setLimit(n int) {
	n = max(n, 1)
	size := 1
	for size < n {
		size <<= 1
	}
	l.ring = make([]*sp.Message, size)
	l.limit = uint64(n)
}

// end closes the lane and wakes both its ends. What was appended before is
// still received.
func (l *lane) end() {
	l.ended.Store(true)
	signal(l.rx)
	signal(l.tx)
}

func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// roomLocked returns how many more messages the lane holds; under smu.
// When that is fewer than want, it says a sender waits for room (txWait),
// so that the receiver gives a token on tx once it takes some.
func (l *lane) roomLocked(want uint64) uint64 {
	room := l.limit - (l.tail.Load() - l.head.Load())
	if room < want {
		l.txWait.Store(true) // then look again: the receiver may just have taken some
		room = l.limit - (l.tail.Load() - l.head.Load())
		if room >= want {
			l.txWait.Store(false)
		}
	}
	return room
}

// appendLocked appends the messages of ms that fit, and returns how many;
// under smu. It wakes the receiver if it waits.
func (l *lane) appendLocked(ms []*sp.Message) int {
	k := min(uint64(len(ms)), l.roomLocked(uint64(len(ms))))
	if k == 0 {
		return 0
	}
	t := l.tail.Load()
	mask := uint64(len(l.ring) - 1)
	for i, m := range ms[:k] {
		l.ring[(t+uint64(i))&mask] = m
		l.sentBytes += uint64(len(m.Body))
	}
	l.tail.Store(t + k)
	if l.rxWait.Load() && l.rxWait.Swap(false) {
		signal(l.rx)
	}
	return int(k)
}

// reader is the receiving end's view of a lane; only the receiver touches
// it.
type reader struct {
	h, t uint64 // the next message to take; the tail last seen
	said uint64 // the head last stored in the lane
}

// next returns the next message, or nil if none has been appended; it does
// not wait.
func (r *reader) next(l *lane) *sp.Message {
	if r.h == r.t {
		r.t = l.tail.Load()
		if r.h == r.t {
			r.say(l)
			return nil
		}
	}
	i := r.h & uint64(len(l.ring)-1)
	m := l.ring[i]
	l.ring[i] = nil
	r.h++
	if r.h == r.t || r.h-r.said >= max(l.limit/4, 1) {
		r.say(l)
	}
	return m
}

// say tells senders what the receiver has taken, waking one that waits for
// room.
func (r *reader) say(l *lane) {
	if r.said == r.h {
		return
	}
	r.said = r.h
	l.head.Store(r.h)
	if l.txWait.Load() && l.txWait.Swap(false) {
		signal(l.tx)
		if l.onRoom != nil {
			l.onRoom()
		}
	}
}

// buffered reports whether a message waits.
func (r *reader) buffered(l *lane) bool {
	return r.h != r.t || l.tail.Load() != r.h
}
