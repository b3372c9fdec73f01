package hostile_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spgo/sp"
	"github.com/spgo/sp/protocol/bus"
	"github.com/spgo/sp/protocol/pair"
	"github.com/spgo/sp/protocol/pair1"
	"github.com/spgo/sp/protocol/pub"
	"github.com/spgo/sp/protocol/pull"
	"github.com/spgo/sp/protocol/push"
	"github.com/spgo/sp/protocol/rep"
	"github.com/spgo/sp/protocol/req"
	"github.com/spgo/sp/protocol/respondent"
	"github.com/spgo/sp/protocol/star"
	"github.com/spgo/sp/protocol/sub"
	"github.com/spgo/sp/protocol/surveyor"
)

// proto describes a listening socket under attack and the good peer that is
// served meanwhile.
type proto struct {
	name       string // the listener's protocol name (and ws subprotocol prefix)
	self, peer uint16
	listener   func() (sp.Socket, error)
	good       func() (sp.Socket, error)
	// header is a valid SP header of a message the peer protocol sends
	// to the listener.
	header []byte
	// mono: a second peer is refused (pair v0): a hostile peer that gets
	// through the handshake is Rejected rather than served.
	mono bool
	// backtrace: the listener reads a backtrace or an id (req, rep,
	// surveyor, respondent); hop: a hop count (pair1, star).
	backtrace, hop bool
	// setup sets protocol options on both sockets.
	setup func(lis, good sp.Socket) error
	// serve runs the server side of the exchange until ctx ends, if the
	// pattern has one (an echo on the listener, or on the good peer).
	serve func(ctx context.Context, lis, good sp.Socket)
	// round does exchange n: the good message must arrive, or the reply
	// come back. lost is called when a message went missing; it reports
	// whether the loss is explained (see push) and the round may resend.
	round func(ctx context.Context, lis, good sp.Socket, n int, lost func() bool) error
}

var (
	idHeader  = []byte{0x80, 0, 0, 1} // a request, survey or reply id
	hopHeader = []byte{0, 0, 0, 1}    // one hop
)

const goodPrefix = "good "

// recvGood receives from s until a good message arrives, skipping what
// hostile peers sent (or what was echoed from them), and checks it is want.
func recvGood(ctx context.Context, s interface {
	Recv(context.Context) ([]byte, error)
}, want string) error {
	for {
		b, err := s.Recv(ctx)
		if err != nil {
			return fmt.Errorf("waiting for %q: %w", want, err)
		}
		if string(b) == want {
			return nil
		}
		if strings.HasPrefix(string(b), goodPrefix) {
			return fmt.Errorf("got %q, want %q", b, want)
		}
	}
}

// sendRecv is a round where from sends and to receives (pub/sub, push/pull).
func sendRecv(from, to func(lis, good sp.Socket) sp.Socket) func(context.Context, sp.Socket, sp.Socket, int, func() bool) error {
	return func(ctx context.Context, lis, good sp.Socket, n int, lost func() bool) error {
		want := fmt.Sprintf("%s%d", goodPrefix, n)
		for {
			if err := from(lis, good).Send(ctx, []byte(want)); err != nil {
				return fmt.Errorf("send %q: %w", want, err)
			}
			rctx, cancel := context.WithTimeout(ctx, time.Second)
			err := recvGood(rctx, to(lis, good), want)
			cancel()
			if err == nil || ctx.Err() != nil || !errors.Is(err, sp.ErrTimeout) || !lost() {
				return err
			}
		}
	}
}

// request is a round where from sends and receives the echo.
func request(from func(lis, good sp.Socket) sp.Socket) func(context.Context, sp.Socket, sp.Socket, int, func() bool) error {
	return func(ctx context.Context, lis, good sp.Socket, n int, _ func() bool) error {
		want := fmt.Sprintf("%s%d", goodPrefix, n)
		var s interface {
			Send(context.Context, []byte) error
			Recv(context.Context) ([]byte, error)
		} = from(lis, good)
		if sock := from(lis, good); sock.Info().Self == surveyor.ProtocolID {
			// a survey per round, each while the one before still
			// collects answers: a context per round
			c, err := sock.OpenContext()
			if err != nil {
				return err
			}
			defer c.Close()
			s = c
		}
		if err := s.Send(ctx, []byte(want)); err != nil {
			return fmt.Errorf("send %q: %w", want, err)
		}
		return recvGood(ctx, s, want)
	}
}

func lisSock(lis, _ sp.Socket) sp.Socket   { return lis }
func goodSock(_, good sp.Socket) sp.Socket { return good }

// echo answers every message s receives with the same body (Recv then Send:
// rep, respondent, pair).
func echo(s sp.Socket, ctx context.Context) {
	for {
		b, err := s.Recv(ctx)
		if err != nil {
			if errors.Is(err, sp.ErrClosed) || ctx.Err() != nil {
				return
			}
			continue
		}
		_ = s.Send(ctx, b)
	}
}

// echoMsg answers with the received message itself, prepared by fix.
func echoMsg(s sp.Socket, ctx context.Context, fix func(*sp.Message) *sp.Message) {
	for {
		m, err := s.RecvMsg(ctx)
		if err != nil {
			if errors.Is(err, sp.ErrClosed) || ctx.Err() != nil {
				return
			}
			continue
		}
		if err := s.SendMsg(ctx, fix(m)); err != nil {
			m.Free()
		}
	}
}

func echoOn(pick func(lis, good sp.Socket) sp.Socket) func(context.Context, sp.Socket, sp.Socket) {
	return func(ctx context.Context, lis, good sp.Socket) { echo(pick(lis, good), ctx) }
}

var protocols = []proto{
	{name: "rep", self: 0x31, peer: 0x30, listener: rep.NewSocket, good: req.NewSocket, header: idHeader,
		backtrace: true, serve: echoOn(lisSock), round: request(goodSock)},
	{name: "req", self: 0x30, peer: 0x31, listener: req.NewSocket, good: rep.NewSocket, header: idHeader,
		backtrace: true,
		// a request routed to a hostile rep is resent soon
		setup: func(lis, _ sp.Socket) error { return sp.SetOption(lis, req.ResendTime, 300*time.Millisecond) },
		serve: echoOn(goodSock), round: request(lisSock)},
	{name: "pub", self: 0x20, peer: 0x21, listener: pub.NewSocket, good: sub.NewSocket,
		setup: func(_, good sp.Socket) error { return sp.SetOption(good, sub.SubscribeOption, []byte{}) },
		round: sendRecv(lisSock, goodSock)},
	{name: "sub", self: 0x21, peer: 0x20, listener: sub.NewSocket, good: pub.NewSocket,
		setup: func(lis, _ sp.Socket) error { return sp.SetOption(lis, sub.SubscribeOption, []byte{}) },
		round: sendRecv(goodSock, lisSock)},
	// push hands a message to one puller: one queued for a hostile puller
	// that then vanishes is lost, as documented; the round resends it.
	{name: "push", self: 0x50, peer: 0x51, listener: push.NewSocket, good: pull.NewSocket,
		round: sendRecv(lisSock, goodSock)},
	{name: "pull", self: 0x51, peer: 0x50, listener: pull.NewSocket, good: push.NewSocket,
		round: sendRecv(goodSock, lisSock)},
	{name: "surveyor", self: 0x62, peer: 0x63, listener: surveyor.NewSocket, good: respondent.NewSocket,
		header: idHeader, backtrace: true,
		setup: func(lis, _ sp.Socket) error { return sp.SetOption(lis, surveyor.SurveyTime, 5*time.Second) },
		serve: echoOn(goodSock), round: request(lisSock)},
	{name: "respondent", self: 0x63, peer: 0x62, listener: respondent.NewSocket, good: surveyor.NewSocket,
		header: idHeader, backtrace: true,
		setup: func(_, good sp.Socket) error { return sp.SetOption(good, surveyor.SurveyTime, 5*time.Second) },
		serve: echoOn(lisSock), round: request(goodSock)},
	{name: "pair", self: 0x10, peer: 0x10, listener: pair.NewSocket, good: pair.NewSocket, mono: true,
		serve: echoOn(lisSock), round: request(goodSock)},
	// pair1 polyamorous, so that hostile peers get pipes; replies go back
	// to the pipe a message came from.
	{name: "pair1", self: 0x11, peer: 0x11, listener: pair1.NewPolySocket, good: pair1.NewSocket,
		header: hopHeader, hop: true,
		serve: func(ctx context.Context, lis, _ sp.Socket) {
			echoMsg(lis, ctx, func(m *sp.Message) *sp.Message { return m })
		},
		round: request(goodSock)},
	{name: "bus", self: 0x70, peer: 0x70, listener: bus.NewSocket, good: bus.NewSocket,
		serve: func(ctx context.Context, lis, _ sp.Socket) {
			echoMsg(lis, ctx, func(m *sp.Message) *sp.Message { m.SetPipe(nil); return m })
		},
		round: request(goodSock)},
	{name: "star", self: 0x640, peer: 0x640, listener: star.NewSocket, good: star.NewSocket,
		header: hopHeader, hop: true,
		serve: func(ctx context.Context, lis, _ sp.Socket) {
			echoMsg(lis, ctx, func(m *sp.Message) *sp.Message {
				r := sp.NewMessage(len(m.Body))
				r.Body = append(r.Body, m.Body...)
				m.Free()
				return r
			})
		},
		round: request(goodSock)},
}

// frame is a valid message from the peer protocol: header then body.
func (p proto) frame(body string) []byte {
	return append(bytes.Clone(p.header), body...)
}

// wrongID is a known protocol id that is not the listener's peer.
func (p proto) wrongID() uint16 {
	if p.peer == 0x30 {
		return 0x50
	}
	return 0x30
}
