package zt

import (
	"context"
	"fmt"
	"time"

	"github.com/spgo/sp"
)

func init() { sp.RegisterTransport(Transport{}) }

// Transport is the zt transport.
type Transport struct{}

// Schemes implements sp.Transport.
func (Transport) Schemes() []string { return []string{"zt"} }

// NewDialer implements sp.Transport.
func (Transport) NewDialer(addr string, cfg sp.TransportConfig) (sp.TransportDialer, error) {
	u, err := parseURL(addr, true)
	if err != nil {
		return nil, err
	}
	return &dialer{u: u, cfg: cfg}, nil
}

// NewListener implements sp.Transport.
func (Transport) NewListener(addr string, cfg sp.TransportConfig) (sp.TransportListener, error) {
	u, err := parseURL(addr, false)
	if err != nil {
		return nil, err
	}
	return &listener{u: u, cfg: cfg, accept: make(chan *conn, backlog), done: make(chan struct{})}, nil
}

type dialer struct {
	u   url
	cfg sp.TransportConfig
}

// Dial implements sp.TransportDialer: it sends CONN-REQ, again every
// ConnectTime up to ConnectTries times, until a CONN-ACK or an ERR comes
// back.
func (d *dialer) Dial(ctx context.Context) (sp.TransportConn, error) {
	s := readSettings(d.cfg)
	n, err := acquire(s, d.u.nwid)
	if err != nil {
		return nil, err
	}
	c := newConn(n, s, d.cfg.Protocol().Self)
	c.rnode, c.rport = d.u.node, d.u.port
	if d.u.anyNode {
		c.rnode = n.id
	}
	c.rmac = macFor(c.rnode, d.u.nwid)
	if err := n.addDialed(c); err != nil {
		n.release()
		return nil, err
	}
	req := appendConn(nil, c.hdr(opConnReq), c.proto)
	t := time.NewTimer(0)
	defer t.Stop()
	for try := 0; ; {
		select {
		case p := <-c.ack:
			c.peer = p
			return c, nil
		case <-c.dead:
			c.Close()
			return nil, c.deadErr
		case <-ctx.Done():
			c.Close()
			return nil, sp.ContextError(ctx)
		case <-t.C:
			if try == s.connectTries {
				c.Close()
				return nil, fmt.Errorf("%w: no answer from zt node %010x port %d after %d tries",
					sp.ErrTimeout, c.rnode, c.rport, try)
			}
			try++
			if err := n.send(c.rmac, req); err != nil {
				c.Close()
				return nil, err
			}
			t.Reset(s.connectTime)
		}
	}
}
