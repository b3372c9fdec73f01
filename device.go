package sp

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// Device forwards messages between two raw sockets of peer protocols, both
// ways: what a receives, b sends, and what b receives, a sends. With b nil,
// it reflects: what a receives, a sends back (for pair and bus sockets,
// whose peer is their own protocol).
//
// A device between a raw rep socket facing requesters and a raw req socket
// facing a replier carries each request and each reply; the backtrace in the
// message headers finds the way back. For the protocols whose header counts
// hops (req/rep, surveyor/respondent, pair1, star), each device a message
// crosses adds a hop and a message with more than MaxTTL hops is dropped,
// so a loop of devices cannot circulate a message for ever. The others
// (bus, pair v0, pub/sub, push/pull) carry no header: do not build loops of
// them.
//
// Device blocks until ctx ends (it then returns ctx's error) or either socket
// is closed (it then returns nil). It returns an error wrapping ErrBadState
// at once when a socket is not raw, and one wrapping ErrBadProtocol when the
// protocols are not peers.
func Device(ctx context.Context, a, b Socket) error {
	if err := checkDevice(a, b); err != nil {
		return err
	}
	if b == nil {
		b = a
	}
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errs := make([]error, 2)
	forward := func(i int, from, to Socket) {
		defer wg.Done()
		defer cancel() // when one direction ends, so does the other
		errs[i] = forwardAll(ctx, from, to)
	}
	wg.Add(1)
	go forward(0, a, b)
	if b != a {
		wg.Add(1)
		go forward(1, b, a)
	}
	wg.Wait()
	if err := parent.Err(); err != nil {
		return err
	}
	for _, err := range errs {
		if err != nil && !errors.Is(err, ErrClosed) && !errors.Is(err, context.Canceled) {
			return err
		}
	}
	return nil
}

func checkDevice(a, b Socket) error {
	if a == nil {
		return fmt.Errorf("%w: device needs at least one socket", ErrBadState)
	}
	for _, s := range []Socket{a, b} {
		if s == nil {
			continue
		}
		if raw, err := GetOption(s, Raw); err != nil || !raw {
			return fmt.Errorf("%w: device needs raw sockets; %s is cooked (use NewRawSocket)", ErrBadState, s.Info().SelfName)
		}
	}
	ia := a.Info()
	if b == nil {
		if ia.Self != ia.Peer {
			return fmt.Errorf("%w: a %s socket cannot reflect to itself; give the device a %s socket too",
				ErrBadProtocol, ia.SelfName, ia.PeerName)
		}
		return nil
	}
	if ib := b.Info(); ia.Peer != ib.Self || ib.Peer != ia.Self {
		return fmt.Errorf("%w: %s and %s are not peers", ErrBadProtocol, ia.SelfName, ib.SelfName)
	}
	return nil
}

// forwardAll moves messages from one socket to the other until ctx ends or
// a socket closes. A socket's own receive or send timeout only skips a turn
// (and a send that times out loses that one message).
func forwardAll(ctx context.Context, from, to Socket) error {
	for {
		m, err := from.RecvMsg(ctx)
		if err == nil {
			err = to.SendMsg(ctx, m)
		}
		switch {
		case err == nil:
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.Is(err, ErrTimeout):
		default:
			return err
		}
	}
}
