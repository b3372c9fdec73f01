package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spgo/sp"
	"github.com/spgo/sp/protocol/bus"
	"github.com/spgo/sp/protocol/pair1"
	"github.com/spgo/sp/protocol/pub"
	"github.com/spgo/sp/protocol/pull"
	"github.com/spgo/sp/protocol/push"
	"github.com/spgo/sp/protocol/rep"
	"github.com/spgo/sp/protocol/req"
	"github.com/spgo/sp/protocol/respondent"
	"github.com/spgo/sp/protocol/sub"
	"github.com/spgo/sp/protocol/surveyor"
)

var (
	transports   = []string{"inproc", "ipc", "tcp"}
	patternNames = []string{"req/rep", "pub/sub", "push/pull", "survey", "bus", "pair1"}
)

// harness owns the sockets and the goroutines that move messages.
type harness struct {
	ctx     context.Context
	dir     string // of the ipc sockets
	wg      sync.WaitGroup
	sockets []sp.Socket
	msgs    map[string]*atomic.Uint64
	errs    atomic.Uint64
	mu      sync.Mutex
	first   []string // the first few errors
}

func (h *harness) counts() string {
	var b strings.Builder
	for i, n := range patternNames {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%s=%d", n, h.msgs[n].Load())
	}
	return b.String()
}

// fail counts an unexpected error, unless the run is ending.
func (h *harness) fail(pattern, tr string, err error) {
	if h.ctx.Err() != nil || errors.Is(err, sp.ErrClosed) {
		return
	}
	h.errs.Add(1)
	h.mu.Lock()
	if len(h.first) < 10 {
		h.first = append(h.first, fmt.Sprintf("%s over %s: %v", pattern, tr, err))
	}
	h.mu.Unlock()
}

func (h *harness) firstErrors() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.first...)
}

// stop waits for the workers (the context is canceled) and closes the sockets.
func (h *harness) stop() {
	for _, s := range h.sockets {
		s.Close() // unblocks every worker
	}
	h.wg.Wait()
	os.RemoveAll(h.dir)
}

func (h *harness) socket(f func() (sp.Socket, error)) sp.Socket {
	s, err := f()
	if err != nil {
		panic(err) // constructors do not fail
	}
	h.sockets = append(h.sockets, s)
	return s
}

// listen makes s listen on a fresh address of tr and returns the URL to dial.
func (h *harness) listen(s sp.Socket, tr, name string) (string, error) {
	var url string
	switch tr {
	case "inproc":
		url = fmt.Sprintf("inproc://spsoak-%d-%s", os.Getpid(), name)
	case "ipc":
		url = "ipc://" + filepath.Join(h.dir, name)
	default:
		url = "tcp://127.0.0.1:0"
	}
	l, err := s.NewListener(url)
	if err != nil {
		return "", err
	}
	if err := l.Listen(); err != nil {
		return "", err
	}
	if a, ok := l.Addr().(*net.TCPAddr); ok {
		url = "tcp://" + a.String()
	}
	return url, nil
}

func (h *harness) loop(pattern, tr string, f func() error) {
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		for h.ctx.Err() == nil {
			if err := f(); err != nil {
				h.fail(pattern, tr, err)
				if errors.Is(err, sp.ErrClosed) {
					return
				}
				time.Sleep(10 * time.Millisecond)
			}
		}
	}()
}

// start sets every pattern going on every transport.
func start(ctx context.Context) (_ *harness, err error) {
	h := &harness{ctx: ctx, msgs: make(map[string]*atomic.Uint64)}
	for _, n := range patternNames {
		h.msgs[n] = new(atomic.Uint64)
	}
	if h.dir, err = os.MkdirTemp("", "spsoak"); err != nil {
		return nil, err
	}
	for _, tr := range transports {
		for _, p := range []func(string) error{h.reqRep, h.pubSub, h.pushPull, h.survey, h.bus, h.pair1} {
			if err := p(tr); err != nil {
				h.stop()
				return nil, fmt.Errorf("%s: %w", tr, err)
			}
		}
	}
	return h, nil
}

// connect makes server listen and each client dial it.
func (h *harness) connect(tr, name string, server sp.Socket, clients ...sp.Socket) error {
	url, err := h.listen(server, tr, name)
	if err != nil {
		return err
	}
	for _, c := range clients {
		if err := c.Dial(url, sp.WithDialSync()); err != nil {
			return err
		}
	}
	// A dialer knows its pipe when Dial returns; the listening side may
	// not yet, and a survey or a publication sent now would miss a peer.
	for deadline := time.Now().Add(5 * time.Second); server.Stats().Pipes < len(clients); {
		if time.Now().After(deadline) {
			return fmt.Errorf("%s over %s: %d of %d peers joined", name, tr, server.Stats().Pipes, len(clients))
		}
		time.Sleep(time.Millisecond)
	}
	return nil
}

func (h *harness) reqRep(tr string) error {
	srv, cli := h.socket(rep.NewSocket), h.socket(req.NewSocket)
	if err := h.connect(tr, "reqrep", srv, cli); err != nil {
		return err
	}
	n := h.msgs["req/rep"]
	for i := range 4 {
		sc, err := srv.OpenContext()
		if err != nil {
			return err
		}
		h.loop("rep", tr, func() error {
			b, err := sc.Recv(h.ctx)
			if err != nil {
				return err
			}
			return sc.Send(h.ctx, b)
		})
		cc, err := cli.OpenContext()
		if err != nil {
			return err
		}
		seq := 0
		h.loop("req", tr, func() error {
			seq++
			want := fmt.Sprintf("q%d-%d", i, seq)
			rctx, cancel := context.WithTimeout(h.ctx, 10*time.Second)
			defer cancel()
			if err := cc.Send(rctx, []byte(want)); err != nil {
				return err
			}
			b, err := cc.Recv(rctx)
			if err != nil {
				return err
			}
			if string(b) != want {
				return fmt.Errorf("reply %q to request %q", b, want)
			}
			n.Add(1)
			return nil
		})
	}
	return nil
}

func (h *harness) pubSub(tr string) error {
	p, s := h.socket(pub.NewSocket), h.socket(sub.NewSocket)
	if err := sp.SetOption(s, sub.SubscribeOption, []byte("soak")); err != nil {
		return err
	}
	if err := h.connect(tr, "pubsub", p, s); err != nil {
		return err
	}
	h.loop("pub", tr, func() error {
		time.Sleep(200 * time.Microsecond) // pub never blocks: pace it
		return p.Send(h.ctx, []byte("soak.topic payload"))
	})
	n := h.msgs["pub/sub"]
	h.loop("sub", tr, func() error {
		if _, err := s.Recv(h.ctx); err != nil {
			return err
		}
		n.Add(1)
		return nil
	})
	return nil
}

func (h *harness) pushPull(tr string) error {
	ps, pl := h.socket(push.NewSocket), h.socket(pull.NewSocket)
	if err := h.connect(tr, "pushpull", pl, ps); err != nil {
		return err
	}
	h.loop("push", tr, func() error {
		time.Sleep(50 * time.Microsecond) // leave the CPU to the other patterns
		return ps.Send(h.ctx, []byte("work item"))
	})
	n := h.msgs["push/pull"]
	h.loop("pull", tr, func() error {
		if _, err := pl.Recv(h.ctx); err != nil {
			return err
		}
		n.Add(1)
		return nil
	})
	return nil
}

func (h *harness) survey(tr string) error {
	sv := h.socket(surveyor.NewSocket)
	r1, r2 := h.socket(respondent.NewSocket), h.socket(respondent.NewSocket)
	if err := sp.SetOption(sv, surveyor.SurveyTime, time.Second); err != nil {
		return err
	}
	if err := h.connect(tr, "survey", sv, r1, r2); err != nil {
		return err
	}
	for _, r := range []sp.Socket{r1, r2} {
		h.loop("respondent", tr, func() error {
			b, err := r.Recv(h.ctx)
			if err != nil {
				return err
			}
			return r.Send(h.ctx, b)
		})
	}
	n := h.msgs["survey"]
	h.loop("surveyor", tr, func() error {
		if err := sv.Send(h.ctx, []byte("who is there?")); err != nil {
			return err
		}
		for got := 0; ; got++ {
			if _, err := sv.Recv(h.ctx); err != nil {
				if errors.Is(err, sp.ErrTimeout) && got > 0 {
					return nil // the survey is over
				}
				return fmt.Errorf("after %d answers: %w", got, err)
			}
			n.Add(1)
		}
	})
	return nil
}

func (h *harness) bus(tr string) error {
	a, b, c := h.socket(bus.NewSocket), h.socket(bus.NewSocket), h.socket(bus.NewSocket)
	if err := h.connect(tr, "busa", a, b, c); err != nil {
		return err
	}
	if err := h.connect(tr, "busb", b, c); err != nil {
		return err
	}
	n := h.msgs["bus"]
	for _, s := range []sp.Socket{a, b, c} {
		h.loop("bus send", tr, func() error {
			time.Sleep(time.Millisecond) // bus never blocks: pace it
			return s.Send(h.ctx, []byte("to everyone"))
		})
		h.loop("bus recv", tr, func() error {
			if _, err := s.Recv(h.ctx); err != nil {
				return err
			}
			n.Add(1)
			return nil
		})
	}
	return nil
}

func (h *harness) pair1(tr string) error {
	a, b := h.socket(pair1.NewSocket), h.socket(pair1.NewSocket)
	if err := h.connect(tr, "pair1", a, b); err != nil {
		return err
	}
	h.loop("pair1 echo", tr, func() error {
		m, err := a.Recv(h.ctx)
		if err != nil {
			return err
		}
		return a.Send(h.ctx, m)
	})
	n := h.msgs["pair1"]
	h.loop("pair1 ping", tr, func() error {
		rctx, cancel := context.WithTimeout(h.ctx, 10*time.Second)
		defer cancel()
		if err := b.Send(rctx, []byte("ping")); err != nil {
			return err
		}
		if _, err := b.Recv(rctx); err != nil {
			return err
		}
		n.Add(2)
		return nil
	})
	return nil
}
