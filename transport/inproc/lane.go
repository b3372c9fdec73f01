package inproc

import (
	"sync"
	"sync/atomic"

	"github.com/spgo/sp"
)

// A lane carries messages one way: a ring that senders fill and one
// receiver empties. Senders take a lock among themselves (SendNow may run
// in several goroutines at once); the receiver takes none. Each side tells
// the other what it did through one atomic word (tail: what the senders
// appended; said: what the receiver took, and whether it waits), so the
// receiver, which never shares a lock with a sender, costs a sender nothing
// while it reads.
//
// Each message has a position, counted from 0 for the lane's first.
// Usually it goes through the ring. But a message sent while the receiver
// waits for exactly its position goes to the receiver itself, through the
// receiver's channel (rx), as a message crosses a bare Go channel: the
// ring's slot and tail are left alone, and the receiver, woken with the
// message in hand, says nothing back. A later sender that appends to the
// ring publishes a tail past that position; a receiver that finds such a
// position's slot empty knows the message waits in rx.
//
// Each end waits on a channel of its own, for a token the other end gives
// when it does what the waiter waits for: a wait is one channel operation,
// as on a bare Go channel. A waiter says it waits (said, or txWait) and
// then looks again; the other end updates its counter and then looks at
// the word. Each stores before it loads, so one of the two sees the other:
// the waiter sees the change, or the other end sees it wait and wakes it.
// A receiver that waits more than once at the same position says the same
// word again; senders wake it once per word (claimed), which is enough,
// since each time it looks at the ring after its word is stored. A sender
// claims the word only for a tail that brings the message the receiver
// waits for: a tail published before the receiver said its word may be
// loaded after it, and a wake for it would be spurious, and would leave
// the receiver asleep, its word claimed, when that message comes.
type lane struct {
	// Set before the first send, then only read.
	ring   []slot           // its length is a power of two, over limit
	limit  uint64           // the most messages in the lane
	onRoom func()           // what NotifyRoom registered
	rx     chan *sp.Message // for the receiver: a message handed over, or a token (nil): messages, the end, a new deadline
	tx     chan struct{}    // a token for a sender: room, or the end
	ended  atomic.Bool
	_      pad

	// The senders' own, under smu.
	smu       sync.Mutex
	next      uint64 // the position of the next message sent
	sentBytes uint64 // all the senders sent
	seen      uint64 // the receiver has taken at least this many messages
	claimed   uint64 // the last word of a waiting receiver a sender woke it for
	_         pad

	// Positions below tail are settled: in the ring, or handed over. The
	// senders store it, the receiver loads it.
	tail atomic.Uint64
	_    pad

	// said is the position the receiver has taken all messages before,
	// times two, plus one while it waits for the message at that
	// position; it stores it, senders load it. A sender that finds no
	// room says it waits (txWait) and waits on tx.
	said   atomic.Uint64
	txWait atomic.Bool
	_      pad
}

// A slot holds a message in the ring, and how many bytes the lane carried
// up to and including it, so that the receiving end can count what it
// received without a counter of its own (see receivedLocked). The slot of a
// message handed over keeps its count only.
type slot struct {
	m   *sp.Message
	cum uint64 // sentBytes once m was sent; only senders write it
}

// waiting is the receiver's word (said) while it waits for position h.
func waiting(h uint64) uint64 { return h<<1 | 1 }

// receivedLocked returns how many messages, and bytes, the receiver has
// taken, as far as it has said (it says at once when it has taken all
// there is) or senders handed it; under smu. A sender, which holds smu, has
// not reused the slot of the last message said taken: the ring is longer
// than limit.
func (l *lane) receivedLocked() (msgs, bytes uint64) {
	h := l.headLocked()
	if h == 0 {
		return 0, 0
	}
	return h, l.ring[(h-1)&uint64(len(l.ring)-1)].cum
}

// headLocked returns how many messages the receiver has taken, as far as
// senders know; under smu.
func (l *lane) headLocked() uint64 {
	l.seen = max(l.seen, l.said.Load()>>1)
	return l.seen
}

// pad keeps what one side of a lane stores off the cache lines of what the
// other side stores: a line that both write moves between their cores at
// every message.
type pad [64]byte

// laneCap is a lane's limit until SetSendQueueLen sets it.
const laneCap = 64

func newLane() *lane {
	l := &lane{rx: make(chan *sp.Message, 1), tx: make(chan struct{}, 1)}
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

// end closes the lane and wakes both its ends. What was sent before is
// still received. It takes smu, so that a sender that found the lane open
// has appended before it: a receiver that has seen the end and taken all
// there is leaves nothing in the lane (see appendOne).
func (l *lane) end() {
	l.smu.Lock()
	l.ended.Store(true)
	l.smu.Unlock()
	poke(l.rx)
	signal(l.tx)
}

func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// poke gives the receiver a token, unless something is in its channel
// already (which wakes it as well).
func poke(c chan *sp.Message) {
	select {
	case c <- nil:
	default:
	}
}

// roomLocked returns how many more messages the lane holds; under smu.
// When that is fewer than want, it says a sender waits for room (txWait),
// so that the receiver gives a token on tx once it takes some.
func (l *lane) roomLocked(want uint64) uint64 {
	if room := l.limit - (l.next - l.seen); room >= want {
		return room
	}
	room := l.limit - (l.next - l.headLocked())
	if room < want {
		l.txWait.Store(true) // then look again: the receiver may just have taken some
		room = l.limit - (l.next - l.headLocked())
		if room >= want {
			l.txWait.Store(false)
		}
	}
	return room
}

// publishLocked stores the tail after messages were appended, and reports
// whether the receiver waits for them and no sender has woken it yet;
// under smu.
func (l *lane) publishLocked() (wake bool) {
	l.tail.Store(l.next)
	w := l.said.Load() // after the tail: see lane
	if w&1 == 0 || w == l.claimed || l.next <= w>>1 {
		// Not waiting; woken for this word already; or waiting for a
		// later message than this tail brings (it took what this tail
		// published before it said so): a wake now would be spurious,
		// and claiming its word would leave it asleep when the
		// message it waits for comes.
		return false
	}
	l.claimed = w
	return true
}

// appendLocked appends the messages of ms that fit, and returns how many;
// under smu. It wakes the receiver if it waits.
func (l *lane) appendLocked(ms []*sp.Message) int {
	k := min(uint64(len(ms)), l.roomLocked(uint64(len(ms))))
	if k == 0 {
		return 0
	}
	mask := uint64(len(l.ring) - 1)
	for _, m := range ms[:k] {
		l.sentBytes += uint64(len(m.Body))
		l.ring[l.next&mask] = slot{m, l.sentBytes}
		l.next++
	}
	if l.publishLocked() {
		poke(l.rx)
	}
	return int(k)
}

// appendOne sends m in its wire form if the lane has room, and reports
// whether it did: to the receiver itself if it waits for it, else into the
// ring, waking the receiver if it waits. It takes smu, and makes the wire
// form under it once room is certain (wireForm may replace m, which the
// caller keeps when the lane is full). Once the lane has ended it frees m
// and returns sp.ErrClosed: the receiver may have taken all there is.
func (l *lane) appendOne(m *sp.Message) (bool, error) {
	l.smu.Lock()
	if l.ended.Load() {
		l.smu.Unlock()
		m.Free()
		return true, sp.ErrClosed
	}
	t := l.next
	i := t & uint64(len(l.ring)-1)
	if l.said.Load() == waiting(t) {
		// It took all before t, and waits for t: hand m over, unless
		// a token is in the way (the ring takes m then, and the token
		// wakes the receiver).
		m = wireForm(m)
		n := uint64(len(m.Body)) // m is the receiver's once handed over
		select {
		case l.rx <- m:
			l.sentBytes += n
			l.ring[i].cum = l.sentBytes
			l.next = t + 1
			l.seen = t + 1 // handed over is taken
			l.claimed = waiting(t)
			l.smu.Unlock()
			return true, nil
		default:
			l.seen = max(l.seen, t)
		}
	} else if t-l.seen >= l.limit && l.roomLocked(1) == 0 {
		l.smu.Unlock()
		return false, nil
	} else {
		m = wireForm(m)
	}
	l.sentBytes += uint64(len(m.Body))
	l.ring[i] = slot{m, l.sentBytes}
	l.next = t + 1
	wake := l.publishLocked()
	l.smu.Unlock()
	if wake {
		poke(l.rx)
	}
	return true, nil
}

// reader is the receiving end's view of a lane; only the receiver touches
// it.
type reader struct {
	h, t uint64 // the next position to take; the tail last seen
	said uint64 // the position last said (lane.said)
}

// next returns the next message, or nil if none has been sent; it does not
// wait.
func (r *reader) next(l *lane) *sp.Message {
	if r.empty(l) {
		return nil // it said so when it took the last one
	}
	return r.take(l)
}

// empty reports whether the ring holds nothing for the reader; it is
// small enough to inline, for a receiver about to wait, which looks twice.
func (r *reader) empty(l *lane) bool {
	return r.h >= r.t && r.h >= l.tail.Load()
}

// take takes the message at the reader's position, when the ring is not
// empty.
func (r *reader) take(l *lane) *sp.Message {
	if r.h >= r.t {
		r.t = l.tail.Load()
	}
	i := r.h & uint64(len(l.ring)-1)
	m := l.ring[i].m
	if m == nil {
		// Handed over while the receiver waited for it, and not taken
		// then: it waits in rx, where nothing else fits (a token
		// there would be looked past: it says to look again).
		for m == nil {
			m = <-l.rx
		}
	} else {
		l.ring[i].m = nil
	}
	r.h++
	if r.h >= r.t || r.h-r.said >= max(l.limit/4, 1) {
		r.say(l, r.h<<1)
	}
	return m
}

// handed returns a message handed over to the receiver and not yet taken,
// or nil; it does not wait.
func (r *reader) handed(l *lane) *sp.Message {
	select {
	case m := <-l.rx:
		if m != nil {
			r.h++
		}
		return m
	default:
		return nil
	}
}

// wait says the receiver waits for the message at its position.
func (r *reader) wait(l *lane) {
	r.say(l, waiting(r.h))
}

// say stores w, the receiver's word, waking a sender that waits for room.
func (r *reader) say(l *lane, w uint64) {
	r.said = w >> 1
	l.said.Store(w)
	if l.txWait.Load() && l.txWait.Swap(false) {
		signal(l.tx)
		if l.onRoom != nil {
			l.onRoom()
		}
	}
}

// buffered reports whether a message waits in the ring (one handed over
// may wait in rx too: Recv takes it at once, but buffered does not see it).
func (r *reader) buffered(l *lane) bool {
	return r.h < r.t || l.tail.Load() > r.h
}
