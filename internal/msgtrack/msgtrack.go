// Package msgtrack tracks who holds each pooled sp.Message, so that tests
// can find the messages the library dropped without Free: a leak of the
// pool, which internal/leaktest reports.
//
// Tracking is off until Enable is called (leaktest.VerifyTestMain does, for
// a test binary); it then stays on. While it is off, what it costs is one
// predictable branch where a message is made, freed, copied or handed over
// (on an atomic flag, or on the message's nil record), and nothing is
// allocated.
//
// While it is on, each pooled message object gets a Record (Track) and a
// cleanup that runs once the garbage collector finds the message
// unreachable. The record says who held the message last:
//
//   - User: the application, which may drop a message without Free (a
//     message it made, or one RecvMsg gave it);
//   - Library: sp, which must Free every message it drops (one SendMsg
//     accepted, or a transport read from the wire);
//   - Freed: back in its pool.
//
// A message collected while the library held it is lost: its cleanup
// records where it passed to the library last (a few program counters,
// taken only while tracking is on), for Claim to report.
//
// The package does not import sp (so that leaktest, which sp's own tests
// use, need not): sp registers how to find a message's record (Register),
// and the engine marks hand-overs with ToLibrary and ToUser.
package msgtrack

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// Owner says who holds a tracked message.
type Owner uint32

// The holders of a message.
const (
	// User is the application: it may drop the message without Free.
	User Owner = iota
	// Library is sp: dropping the message without Free leaks it.
	Library
	// Freed means the message is back in its pool.
	Freed
)

// depth is how many program counters a record keeps of where its message
// passed to the library.
const depth = 12

// Record is what is known of one tracked message object. It holds no
// pointer to the message, so that the message can be collected.
type Record struct {
	owner atomic.Uint32
	// busy guards n and pcs: a message shared by Clone may pass to the
	// library in several goroutines at once (one SendMsg each).
	busy atomic.Bool
	n    int // pcs in use
	pcs  [depth]uintptr
}

var (
	enabled atomic.Bool
	// recordOf returns the record of a message, or nil (see Register).
	recordOf func(m any) *Record
)

// Enable turns tracking on, for the rest of the process.
func Enable() { enabled.Store(true) }

// Enabled reports whether tracking is on.
func Enabled() bool { return enabled.Load() }

// Register tells the package how to find the record of a message handed
// to ToLibrary or ToUser. sp calls it once, at init.
func Register(f func(m any) *Record) { recordOf = f }

// Track returns a record, owned by User, for a new pooled object p, and
// arranges for p's loss to be counted if it is ever collected while the
// library holds it. Call it only while Enabled.
func Track[T any](p *T) *Record {
	r := new(Record)
	runtime.AddCleanup(p, collected, r)
	return r
}

// Set records that o holds the message now. It keeps where the message
// passed to the library last.
func (r *Record) Set(o Owner) { r.owner.Store(uint32(o)) }

// Owner returns who holds the message.
func (r *Record) Owner() Owner { return Owner(r.owner.Load()) }

// TakeOver records that the library holds the message now, and where:
// skip is how many of the caller's own frames to leave out (0: the
// caller is the site). Call it only while Enabled.
func (r *Record) TakeOver(skip int) {
	if r.busy.CompareAndSwap(false, true) { // else another goroutine records it
		r.n = runtime.Callers(2+skip, r.pcs[:])
		clear(r.pcs[r.n:]) // a site is known by its whole array (see Claim)
		r.busy.Store(false)
	}
	r.owner.Store(uint32(Library))
}

// Inherit records that r's message is a copy of the one whose record is
// from, made by the caller: it is held by whoever holds that one and, if
// that is the library, taken over here.
func (r *Record) Inherit(from *Record) {
	if from.Owner() == Library {
		r.TakeOver(1)
		return
	}
	r.Set(User)
}

// ToLibrary records that the library takes m over (a socket's SendMsg
// accepted it, a transport made it, a pipe read it), and where, unless the
// library holds it already: the first site is kept, the one nearer to
// where the message came from. From now on, dropping m without Free is a
// leak. A message that is not tracked is ignored.
func ToLibrary(m any) {
	if enabled.Load() {
		toLibrary(m)
	}
}

//go:noinline
func toLibrary(m any) {
	if r := recordOf(m); r != nil && r.Owner() != Library {
		r.TakeOver(2) // toLibrary and ToLibrary
	}
}

// ToUser records that the library hands m to the application (RecvMsg
// returns it), which may drop it. A message that is not tracked is
// ignored.
func ToUser(m any) {
	if enabled.Load() {
		toUser(m)
	}
}

//go:noinline
func toUser(m any) {
	if r := recordOf(m); r != nil {
		r.Set(User)
	}
}

// maxKept is how many entries of lost messages are kept, unclaimed, for
// reports; once there are that many, a lost message counts in the entry of
// its site if there is one, and is only counted otherwise.
const maxKept = 1000

// lost is what the cleanups found: messages collected while the library
// held them, not yet claimed by a report.
var lost struct {
	mu    sync.Mutex
	seq   uint64 // messages lost so far
	kept  []lostEntry
	extra int // lost, not claimed, and not kept
}

// lostEntry is one lost message, or, once maxKept are kept, more from
// one site.
type lostEntry struct {
	seq   uint64
	n     int // pcs in use
	pcs   [depth]uintptr
	count int
}

// collected runs once r's message is unreachable.
func collected(r *Record) {
	if r.Owner() != Library {
		return
	}
	for !r.busy.CompareAndSwap(false, true) { // for the race detector: nobody holds it now
		runtime.Gosched()
	}
	e := lostEntry{n: r.n, pcs: r.pcs, count: 1}
	r.busy.Store(false)
	lost.mu.Lock()
	defer lost.mu.Unlock()
	lost.seq++
	e.seq = lost.seq
	if len(lost.kept) < maxKept {
		lost.kept = append(lost.kept, e)
		return
	}
	for i := range lost.kept {
		if k := &lost.kept[i]; k.n == e.n && k.pcs == e.pcs {
			k.count++
			return
		}
	}
	lost.extra++
}

// Mark is a point in the sequence of lost messages.
type Mark struct{ seq uint64 }

// Now returns the current point in the sequence of lost messages, for
// Claim.
func Now() Mark {
	lost.mu.Lock()
	defer lost.mu.Unlock()
	return Mark{lost.seq}
}

// Loss is how many lost messages passed to the library last at one site,
// and the site: program counters, innermost first, for
// runtime.CallersFrames.
type Loss struct {
	Stack []uintptr
	Count int
}

// Claim returns how many messages were lost after since (Mark{}: since
// the start) that no earlier Claim returned, and the sites of those kept,
// and forgets them: each lost message is reported once. Only the cleanups
// of messages the garbage collector has found unreachable have run: see
// runtime.GC.
func Claim(since Mark) (n int, losses []Loss) {
	lost.mu.Lock()
	defer lost.mu.Unlock()
	left := lost.kept[:0]
	at := make(map[[depth]uintptr]int) // index in losses, by site
	for _, e := range lost.kept {
		if e.seq <= since.seq {
			left = append(left, e)
			continue
		}
		n += e.count
		if i, ok := at[e.pcs]; ok {
			losses[i].Count += e.count
			continue
		}
		at[e.pcs] = len(losses)
		losses = append(losses, Loss{Stack: append([]uintptr(nil), e.pcs[:e.n]...), Count: e.count})
	}
	clear(lost.kept[len(left):])
	lost.kept = left
	if since.seq < lost.seq { // those not kept are not dated: the first claim gets them
		n += lost.extra
		lost.extra = 0
	}
	return n, losses
}
