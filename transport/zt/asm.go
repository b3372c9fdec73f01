package zt

import (
	"fmt"
	"time"

	"github.com/spgo/sp"
)

// Reassembly bounds: at most maxPartial messages in the making per
// connection; one that has not grown for asmTimeout, or whose id is more
// than idWindow behind the newest seen, is dropped whole.
const (
	maxPartial = 8
	idWindow   = 1024
)

var asmTimeout = 10 * time.Second

// partial is a message in the making. Fragments that arrive in order are
// appended to buf; those that arrive early wait in early. Memory follows
// the bytes that arrive, never what the fragments claim.
type partial struct {
	id               uint16
	nFrags, fragSize uint16
	next             uint16 // fragments 0..next-1 are in buf
	buf              []byte
	early            map[uint16][]byte
	have             int // bytes in buf and early
	touched          time.Time
}

// reassembler puts messages together from their fragments.
type reassembler struct {
	parts  []*partial
	newest uint16
	seen   bool
}

// add adds a fragment (payload p, only valid during the call) and
// returns the message it completes, if any. A message that cannot fit
// under limit (0: none) fails with an error wrapping sp.ErrTooLarge.
func (r *reassembler) add(f frag, p []byte, limit int, now time.Time) ([]byte, error) {
	if limit > 0 && int(f.nFrags-1)*int(f.fragSize) > limit {
		return nil, fmt.Errorf("%w: a message of %d fragments of %d bytes is over the limit %d",
			sp.ErrTooLarge, f.nFrags, f.fragSize, limit)
	}
	if !r.seen || int16(f.msgID-r.newest) > 0 {
		r.newest, r.seen = f.msgID, true
	}
	r.expire(now)
	i := r.find(f.msgID)
	if i >= 0 && (r.parts[i].nFrags != f.nFrags || r.parts[i].fragSize != f.fragSize) {
		r.drop(i) // a new message with a reused id
		i = -1
	}
	if f.nFrags == 1 {
		if i >= 0 {
			r.drop(i)
		}
		if limit > 0 && len(p) > limit {
			return nil, tooLarge(len(p), limit)
		}
		return append(make([]byte, 0, len(p)), p...), nil
	}
	if i < 0 {
		if len(r.parts) == maxPartial {
			r.drop(r.oldest())
		}
		r.parts = append(r.parts, &partial{id: f.msgID, nFrags: f.nFrags, fragSize: f.fragSize})
		i = len(r.parts) - 1
	}
	pt := r.parts[i]
	pt.touched = now
	if f.fragNo < pt.next || pt.early[f.fragNo] != nil {
		return nil, nil // a duplicate
	}
	pt.have += len(p)
	if limit > 0 && pt.have > limit {
		return nil, tooLarge(pt.have, limit)
	}
	if f.fragNo != pt.next {
		if pt.early == nil {
			pt.early = make(map[uint16][]byte)
		}
		pt.early[f.fragNo] = append(make([]byte, 0, len(p)), p...)
		return nil, nil
	}
	pt.buf = append(pt.buf, p...)
	pt.next++
	for b := pt.early[pt.next]; b != nil; b = pt.early[pt.next] {
		pt.buf = append(pt.buf, b...)
		delete(pt.early, pt.next)
		pt.next++
	}
	if pt.next < pt.nFrags {
		return nil, nil
	}
	r.drop(i)
	return pt.buf, nil
}

func tooLarge(n, limit int) error {
	return fmt.Errorf("%w: %d bytes, the limit is %d", sp.ErrTooLarge, n, limit)
}

func (r *reassembler) find(id uint16) int {
	for i, p := range r.parts {
		if p.id == id {
			return i
		}
	}
	return -1
}

func (r *reassembler) drop(i int) {
	r.parts[i] = r.parts[len(r.parts)-1]
	r.parts[len(r.parts)-1] = nil
	r.parts = r.parts[:len(r.parts)-1]
}

func (r *reassembler) oldest() int {
	o := 0
	for i, p := range r.parts {
		if p.touched.Before(r.parts[o].touched) {
			o = i
		}
	}
	return o
}

// expire drops the messages that stalled or fell too far behind.
func (r *reassembler) expire(now time.Time) {
	for i := 0; i < len(r.parts); {
		p := r.parts[i]
		d := int16(r.newest - p.id)
		if now.Sub(p.touched) > asmTimeout || d > idWindow || d < -idWindow {
			r.drop(i)
			continue
		}
		i++
	}
}
