package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
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

// version is what --version prints: the nngcat release whose behaviour
// spcat reproduces, so that scripts that check it keep working.
const version = "1.5.2"

// drainLimit bounds the Shutdown after the last send. nngcat sleeps 200 ms
// there, to let queued messages leave, and loses what has not; spcat
// writes out everything it sent, and waits for its peers to read it, for
// at most this long.
const drainLimit = 2 * time.Second

var constructors = map[optID]func() (sp.Socket, error){
	optReq0: req.NewSocket, optRep0: rep.NewSocket, optPub0: pub.NewSocket,
	optSub0: sub.NewSocket, optPush0: push.NewSocket, optPull0: pull.NewSocket,
	optSurveyor0: surveyor.NewSocket, optRespondent0: respondent.NewSocket,
	optPair0: pair.NewSocket, optPair1: pair1.NewSocket, optBus0: bus.NewSocket,
	optStar: star.NewSocket,
}

// run is spcat: it parses args, runs the socket they ask for and returns the
// exit status. Messages go to stdout, errors (one line) to stderr.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	cfg, err := parseArgs(args, stdin)
	if err == nil {
		switch {
		case cfg.help:
			_, _ = io.WriteString(stdout, usage)
			return 1
		case cfg.version:
			_, _ = fmt.Fprintln(stdout, version)
			return 0
		}
		err = (&cat{cfg: cfg, out: stdout, errOut: stderr}).run()
	}
	if err != nil {
		_, _ = fmt.Fprintln(stderr, err)
		return 1
	}
	return 0
}

// cat is one run of the tool.
type cat struct {
	cfg    *config
	out    io.Writer
	errOut io.Writer // for --stats
	s      sp.Socket
	io     messenger // what send and recv use: s, or a context of it
}

// messenger is what a Socket and a Context share for sending and receiving.
type messenger interface {
	Send(context.Context, []byte) error
	Recv(context.Context) ([]byte, error)
}

func (c *cat) run() (err error) {
	cfg := c.cfg
	if c.s, err = constructors[cfg.proto](); err != nil {
		return fail("Unable to open socket: %s", nngError(err, ""))
	}
	defer c.s.Close()
	if cfg.stats {
		defer c.printStats()
	}
	if cfg.recvMaxSize >= 0 {
		if err := sp.SetOption(c.s, sp.RecvMaxSize, cfg.recvMaxSize); err != nil {
			return fail("Unable to set recv max size: %s", nngError(err, ""))
		}
	}
	for _, t := range cfg.topics {
		if err := sp.SetOption(c.s, sub.SubscribeOption, []byte(t)); err != nil {
			return fail("Unable to subscribe to %q: %s", t, nngError(err, ""))
		}
	}
	c.io = c.s
	switch cfg.proto {
	case optReq0, optSurveyor0, optRep0, optRespondent0:
		// nngcat's loops replace a request or survey before it is over,
		// or leave requests unanswered, as one context may; the socket
		// itself refuses both, lest goroutines sharing it cross replies.
		x, err := c.s.OpenContext()
		if err != nil {
			return fail("Unable to open context: %s", nngError(err, ""))
		}
		defer x.Close()
		c.io = x
	}
	for _, a := range cfg.addrs {
		if err := c.connect(a); err != nil {
			return err
		}
	}
	switch cfg.proto {
	case optPush0, optPub0:
		return c.sendLoop()
	case optPull0, optSub0:
		return c.recvLoop()
	case optRep0, optRespondent0:
		if cfg.data == nil {
			return c.recvLoop()
		}
		return c.replyLoop()
	case optReq0, optSurveyor0:
		return c.sendRecv()
	default: // pair0, pair1, bus, star
		if cfg.data == nil {
			return c.recvLoop()
		}
		return c.sendRecv()
	}
}

// connect dials or listens on one address, with nngcat's messages.
func (c *cat) connect(a address) error {
	var opts []sp.EndpointOption
	if usesTLS(a.url) {
		tc, err := c.cfg.tlsConfig(a.listen)
		if err != nil {
			return err
		}
		opts = append(opts, sp.With(sp.TLSConfig, tc))
	}
	if a.listen {
		l, err := c.s.NewListener(a.url, opts...)
		if err != nil {
			return fail("Unable to create listener for %s: %s", a.url, nngError(err, a.url))
		}
		if err := l.Listen(); err != nil {
			return fail("Unable to listen on %s: %s", a.url, nngError(err, a.url))
		}
		if c.cfg.verbose {
			_, _ = fmt.Fprintf(c.out, "Listening at: %s\n", boundURL(a.url, l.Addr()))
		}
		return nil
	}
	if !c.cfg.async {
		opts = append(opts, sp.WithDialSync())
	}
	d, err := c.s.NewDialer(a.url, opts...)
	if err != nil {
		return fail("Unable to create dialer for %s: %s", a.url, nngError(err, a.url))
	}
	if err := d.Dial(); err != nil {
		return fail("Unable to dial on %s: %s", a.url, nngError(err, a.url))
	}
	if c.cfg.verbose {
		_, _ = fmt.Fprintf(c.out, "Connected to: %s\n", a.url)
	}
	return nil
}

// boundURL is url with the port actually bound (for port 0) and "*" as an
// empty host, as nng reports a listener's URL.
func boundURL(url string, addr net.Addr) string {
	ta, ok := addr.(*net.TCPAddr)
	i := strings.Index(url, "://")
	if !ok || i < 0 {
		return url
	}
	rest := url[i+3:]
	path := ""
	if j := strings.IndexByte(rest, '/'); j >= 0 {
		rest, path = rest[:j], rest[j:]
	}
	host := rest
	if j := strings.LastIndexByte(rest, ':'); j >= 0 && !strings.HasSuffix(rest, "]") {
		host = rest[:j]
	}
	if host == "*" {
		host = ""
	}
	return url[:i+3] + host + ":" + strconv.Itoa(ta.Port) + path
}

// send sends --data, bounded by --send-timeout.
func (c *cat) send() error {
	ctx, cancel := withTimeout(c.cfg.sendTimeout, time.Time{})
	defer cancel()
	if err := c.io.Send(ctx, c.cfg.data); err != nil {
		return fail("Send error: %s", nngError(err, ""))
	}
	return nil
}

// recv receives one message, bounded by --recv-timeout and by limit (if not
// zero). ended reports a timeout or the end of an exchange (a req with its
// reply, a survey that is over), after which nngcat stops receiving.
func (c *cat) recv(limit time.Time) (b []byte, ended bool, err error) {
	ctx, cancel := withTimeout(c.cfg.recvTimeout, limit)
	defer cancel()
	b, err = c.io.Recv(ctx)
	switch {
	case err == nil:
		return b, false, nil
	case errors.Is(err, sp.ErrTimeout), errors.Is(err, context.DeadlineExceeded), errors.Is(err, sp.ErrBadState):
		return nil, true, err
	}
	return nil, false, err
}

// withTimeout returns a context that ends after d (if d >= 0) or at limit
// (if not zero), whichever is first. A zero timeout has already ended, as
// nng's non-blocking zero timeout.
func withTimeout(d time.Duration, limit time.Time) (context.Context, context.CancelFunc) {
	if d >= 0 {
		if dl := time.Now().Add(d); limit.IsZero() || dl.Before(limit) {
			limit = dl
		}
	}
	if limit.IsZero() {
		return context.WithCancel(context.Background())
	}
	return context.WithDeadline(context.Background(), limit)
}

// print writes a received message in the chosen format.
func (c *cat) print(b []byte) {
	if out := formatMsg(c.cfg.format, b); len(out) > 0 {
		_, _ = c.out.Write(out)
	}
}

// done reports whether a loop that has made iters rounds stops: by default
// after one, with --count after that many, with --interval never.
func (c *cat) done(iters int) bool {
	return (c.cfg.interval < 0 && c.cfg.count == 0) || (c.cfg.count > 0 && iters >= c.cfg.count)
}

// sleepRest sleeps until --interval has passed since start.
func (c *cat) sleepRest(start time.Time) {
	if c.cfg.interval > 0 {
		time.Sleep(time.Until(start.Add(c.cfg.interval)))
	}
}

// sendLoop is push and pub: send, every --interval, --count times.
func (c *cat) sendLoop() error {
	time.Sleep(c.cfg.delay)
	for iters := 0; ; {
		start := time.Now()
		if err := c.send(); err != nil {
			return err
		}
		iters++
		if c.done(iters) {
			break
		}
		c.sleepRest(start)
	}
	c.drain()
	return nil
}

// recvLoop is pull, sub, and rep, respondent, pair and bus without data:
// print what comes, --count messages, until a receive times out (status 0).
func (c *cat) recvLoop() error {
	for iters := 0; c.cfg.count <= 0 || iters < c.cfg.count; iters++ {
		b, ended, err := c.recv(time.Time{})
		if ended {
			return nil
		}
		if err != nil {
			return fail("Receive error: %s", nngError(err, ""))
		}
		c.print(b)
	}
	return nil
}

// replyLoop is rep and respondent with data: answer every request with it.
// Here, as in nngcat, a receive timeout is an error.
func (c *cat) replyLoop() error {
	for iters := 0; ; {
		b, _, err := c.recv(time.Time{})
		if err != nil {
			return fail("Receive error: %s", nngError(err, ""))
		}
		c.print(b)
		if err := c.send(); err != nil {
			return err
		}
		iters++
		if c.cfg.count > 0 && iters >= c.cfg.count {
			break
		}
	}
	c.drain()
	return nil
}

// sendRecv is req, surveyor, and pair and bus with data: send, then print
// what comes until the exchange ends, the receive times out or the next
// --interval begins.
func (c *cat) sendRecv() error {
	time.Sleep(c.cfg.delay)
	for iters := 0; ; {
		start := time.Now()
		if err := c.send(); err != nil {
			return err
		}
		iters++
		var limit time.Time
		if c.cfg.interval >= 0 {
			limit = start.Add(c.cfg.interval)
		}
		for {
			b, ended, err := c.recv(limit)
			if ended {
				break
			}
			if err != nil {
				return fail("Receive error: %s", nngError(err, ""))
			}
			c.print(b)
		}
		if c.done(iters) {
			return nil
		}
		c.sleepRest(start)
	}
}

// printStats writes the socket's statistics, as indented JSON, to stderr:
// stdout stays what nngcat would print.
func (c *cat) printStats() {
	b, err := json.MarshalIndent(c.s.Stats(), "", "  ")
	if err == nil {
		_, _ = fmt.Fprintf(c.errOut, "%s\n", b)
	}
}

// drain writes out what was sent and closes the socket: see drainLimit.
func (c *cat) drain() {
	ctx, cancel := context.WithTimeout(context.Background(), drainLimit)
	defer cancel()
	_ = c.s.Shutdown(ctx) // what the peers did not take in time is lost, as in nngcat
}
