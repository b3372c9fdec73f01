package ipc

import (
	"fmt"
	"net"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/stream"
)

// creds are the peer's credentials, or why they are missing.
type creds struct {
	uid, gid, pid int
	err           error
}

// conn is an ipc connection: the stream mapping, plus the peer's
// credentials as pipe properties.
type conn struct {
	*stream.Conn
	creds creds
}

// newConn wraps c, reading its peer's credentials now, while the socket is
// surely open.
func newConn(c net.Conn, proto uint16) *conn {
	return wrap(stream.New(c, proto, true))
}

func wrap(sc *stream.Conn) *conn {
	return &conn{Conn: sc, creds: peerCreds(sc.NetConn())}
}

// OptionValue implements sp.OptionGetter: it answers PeerUID, PeerGID and
// PeerPID.
func (c *conn) OptionValue(name string) (any, error) {
	var v int
	switch name {
	case PeerUID.Name():
		v = c.creds.uid
	case PeerGID.Name():
		v = c.creds.gid
	case PeerPID.Name():
		v = c.creds.pid
	default:
		return nil, fmt.Errorf("%w: an ipc pipe has no property %q", sp.ErrBadOption, name)
	}
	if c.creds.err != nil {
		return nil, fmt.Errorf("%s: %w", name, c.creds.err)
	}
	return v, nil
}

// listener wraps the stream listener so that accepted connections carry
// their peer's credentials.
type listener struct {
	*stream.Listener
}

// Accept implements sp.TransportListener.
func (l listener) Accept() (sp.TransportConn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	sc, ok := c.(*stream.Conn)
	if !ok {
		return c, nil
	}
	return wrap(sc), nil
}
