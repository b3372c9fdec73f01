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
	// Set before the first send, then only read.
	ring   []slot        // its length is a power of two, over limit
	limit  uint64        // the most messages in the lane
	onRoom func()        // what NotifyRoom registered
	rx     chan struct{} // a token for the receiver: messages, the end, a new deadline
	tx     chan struct{} // a token for a sender: room, or the end
	ended  atomic.Bool
	_      pad

	// The senders' own, under smu. Senders keep the head they last saw
	// (seen), so that a send reads the receiver's line only when the lane
	// looks full to it.
	smu       sync.Mutex
	sentBytes uint64 // all the senders appended
	seen      uint64 // head, as last loaded
	_         pad

	// Each of the two hand-shakes below (see above) on a line of its own:
	// one side stores a field and loads the other, the other side stores
	// the other and loads the first, so that a message to a waiting
	// receiver (or room for a waiting sender) moves one line between
	// their cores, not two.

	// Messages appended, ever; the senders store it, the receiver loads
	// it. The receiver waits on rx.
	tail   atomic.Uint64
	rxWait atomic.Bool
	_      pad

	// Messages taken, ever, as far as the receiver has said; it stores
	// it, senders load it. A sender waits on tx (or found the lane full).
	head   atomic.Uint64
	txWait atomic.Bool
	_      pad
}

// A slot holds a message in the ring, and how many bytes the lane carried
// up to and including it, so that the receiving end can count what it
// received without a counter of its own (see receivedLocked).
type slot struct {
	m   *sp.Message
	cum uint64 // sentBytes once m was appended; only senders write it
}

// receivedLocked returns how many messages, and bytes, the receiver has
// taken, as far as it has said (it says at once when it has taken all
// there is); under smu. A sender, which holds smu, has not reused the slot
// of the last message said taken: the ring is longer than limit.
func (l *lane) receivedLocked() (msgs, bytes uint64) {
	h := l.head.Load()
	if h == 0 {
		return 0, 0
	}
	return h, l.ring[(h-1)&uint64(len(l.ring)-1)].cum
}

// pad keeps what one side of a lane stores off the cache lines of what the
// other side stores: a line that both write moves between their cores at
// every message.
type pad [64]byte

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
	size := 2
	for size <= n {
		size <<= 1
	}
	l.ring = make([]slot, size)
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
	t := l.tail.Load()
	if room := l.limit - (t - l.seen); room >= want {
		return room
	}
	l.seen = l.head.Load()
	room := l.limit - (t - l.seen)
	if room < want {
		l.txWait.Store(true) // then look again: the receiver may just have taken some
		l.seen = l.head.Load()
		room = l.limit - (t - l.seen)
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
		l.sentBytes += uint64(len(m.Body))
		l.ring[(t+uint64(i))&mask] = slot{m, l.sentBytes}
	}
	l.tail.Store(t + k)
	if l.rxWait.Load() && l.rxWait.Swap(false) {
		signal(l.rx)
	}
	return int(k)
}

// appendOne appends m in its wire form if the lane has room, and reports
// whether it did; it wakes the receiver if it waits. It takes smu, and
// makes the wire form under it once room is certain (wireForm may replace
// m, which the caller keeps when the lane is full).
func (l *lane) appendOne(m *sp.Message) bool {
	l.smu.Lock()
	t := l.tail.Load()
	if t-l.seen >= l.limit && l.roomLocked(1) == 0 {
		l.smu.Unlock()
		return false
	}
	m = wireForm(m)
	l.sentBytes += uint64(len(m.Body))
	l.ring[t&uint64(len(l.ring)-1)] = slot{m, l.sentBytes}
	l.tail.Store(t + 1)
	wake := l.rxWait.Load() // after the tail: see lane
	l.smu.Unlock()
	if wake && l.rxWait.Swap(false) {
		signal(l.rx)
	}
	return true
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
		if r.t = l.tail.Load(); r.h == r.t {
			return nil // it said so when it took the last one
		}
	}
	i := r.h & uint64(len(l.ring)-1)
	m := l.ring[i].m
	l.ring[i].m = nil
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
