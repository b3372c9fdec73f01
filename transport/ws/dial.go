package ws

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/gorilla/websocket"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/stream"
)

// NewDialer implements sp.Transport.
func (Transport) NewDialer(addr string, cfg sp.TransportConfig) (sp.TransportDialer, error) {
	a, err := parse(addr, false)
	if err != nil {
		return nil, err
	}
	return &dialer{addr: a, opts: options{cfg}}, nil
}

type dialer struct {
	addr *address
	opts options
}

// Dial implements sp.TransportDialer: it connects and upgrades, both bounded
// by ctx (the engine gives it the handshake timeout), asking for the
// subprotocol of the peer's protocol.
func (d *dialer) Dial(ctx context.Context) (sp.TransportConn, error) {
	info := d.opts.cfg.Protocol()
	want := Subprotocol(info.PeerName)
	frame := d.opts.frameSize()
	var tc *tls.Config
	if d.addr.secure {
		var err error
		if tc, err = d.opts.tlsConfig(false); err != nil {
			return nil, err
		}
		if tc.ServerName == "" {
			tc.ServerName = d.addr.u.Hostname()
		}
	}
	var sniff *sniffConn
	// The upgrade heeds ctx's deadline only: closing the connection when
	// ctx is canceled ends it then too.
	unwatch := func() bool { return true }
	netDial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		unwatch = context.AfterFunc(ctx, func() {
			if errors.Is(ctx.Err(), context.Canceled) {
				c.Close()
			}
		})
		if tc != nil {
			t := tls.Client(c, tc)
			if err := t.HandshakeContext(ctx); err != nil {
				c.Close()
				return nil, err
			}
			c = t
		}
		sniff = &sniffConn{Conn: c}
		return sniff, nil
	}
	wd := websocket.Dialer{
		NetDialContext:    netDial,
		NetDialTLSContext: netDial, // the TLS handshake is done there
		Subprotocols:      []string{want},
		ReadBufferSize:    readBufferSize,
		WriteBufferSize:   frame,
	}
	var hdr http.Header
	if h := get(d.opts, RequestHeader); h != nil {
		hdr = h.Clone()
	}
	ws, resp, err := wd.DialContext(ctx, d.addr.u.String(), hdr)
	if resp != nil && resp.Body != nil {
		resp.Body.Close()
	}
	if !unwatch() && err == nil && errors.Is(ctx.Err(), context.Canceled) {
		ws.Close() // canceled, and closed, as the upgrade finished
		err = ctx.Err()
	}
	if err != nil {
		status := ""
		if resp != nil {
			status = resp.Status
		} else if sniff != nil {
			status = sniff.status
		}
		return nil, dialError(ctx, err, status, info.PeerName)
	}
	if got := ws.Subprotocol(); got != want {
		ws.Close()
		return nil, fmt.Errorf("%w: ws: asked the server for subprotocol %q, it selected %q",
			sp.ErrBadProtocol, want, got)
	}
	c := newConn(ws, info.Peer, frame)
	c.resp = resp
	return c, nil
}

// dialError explains a failed dial. An upgrade refused with HTTP 404 (nobody
// listens on the path) wraps sp.ErrConnRefused, as does a refused
// connection; HTTP 400 (what sp, nng and nanomsg answer a client asking for a
// subprotocol they do not serve) wraps sp.ErrBadProtocol; a context that
// ended reads as its error.
func dialError(ctx context.Context, err error, status, peer string) error {
	if status != "" {
		err = fmt.Errorf("ws: upgrade refused: HTTP %s", status)
		switch {
		case strings.HasPrefix(status, "404"):
			err = fmt.Errorf("%w: %w", sp.ErrConnRefused, err)
		case strings.HasPrefix(status, "400"):
			err = fmt.Errorf("%w: %w (does the server speak %s?)", sp.ErrBadProtocol, err, peer)
		}
		return err
	}
	if stream.IsRefused(err) || errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("%w: %w", sp.ErrConnRefused, err)
	}
	if ctx.Err() != nil && !errors.Is(err, ctx.Err()) {
		return fmt.Errorf("%w (%w)", err, sp.ContextError(ctx))
	}
	return err
}

// refusedGrace is how long the rest of a response whose status is not 101
// may take to arrive.
const refusedGrace = 500 * time.Millisecond

// sniffConn watches the status line of the upgrade response. After one that
// refuses the upgrade, it gives the rest of the response refusedGrace to
// arrive: nanomsg 1.1 answers "HTTP/1.1 400 Incompatible Socket Type" and one
// header without the blank line that ends them, and keeps the connection
// open, which would otherwise stall the dial until its deadline.
type sniffConn struct {
	net.Conn
	seen   bool
	head   []byte
	status string // "400 Bad Request": the status of a refusal
}

func (c *sniffConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if c.seen {
		return n, err
	}
	c.head = append(c.head, b[:n]...)
	line, _, ok := strings.Cut(string(c.head), "\n")
	if !ok && len(c.head) < 256 && err == nil {
		return n, err
	}
	c.seen, c.head = true, nil
	_, status, _ := strings.Cut(strings.TrimSpace(line), " ")
	if !strings.HasPrefix(status, "101") {
		c.status = status
		_ = c.Conn.SetReadDeadline(time.Now().Add(refusedGrace))
	}
	return n, err
}
