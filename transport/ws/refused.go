package ws

import (
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/spgo/sp"
)

// refused stands for an upgrade the listener turned down, so that the
// socket hears of it: it counts and logs it as it does a failed SP
// handshake (err set) or a peer of the wrong protocol (err nil, peer 0,
// which no protocol has). It carries no messages.
type refused struct {
	err    error
	remote net.Addr
}

func (r *refused) Handshake(time.Time) error     { return r.err }
func (r *refused) PeerProtocol() uint16          { return 0 }
func (r *refused) Send(m *sp.Message) error      { m.Free(); return sp.ErrClosed }
func (r *refused) Flush() error                  { return sp.ErrClosed }
func (r *refused) Recv(int) (*sp.Message, error) { return nil, sp.ErrClosed }
func (r *refused) LocalAddr() net.Addr           { return nil }
func (r *refused) RemoteAddr() net.Addr          { return r.remote }
func (r *refused) Close() error                  { return nil }

// remoteAddr is the address of an HTTP client, as the request gives it.
type remoteAddr string

func (a remoteAddr) Network() string { return "tcp" }
func (a remoteAddr) String() string  { return string(a) }

// report hands a refused upgrade to the socket, unless the listener is
// closing.
func (l *listener) report(r *http.Request, err error) {
	select {
	case l.accept <- &refused{err: err, remote: remoteAddr(r.RemoteAddr)}:
	case <-l.closed:
	}
}

func upgradeError(err error) error {
	return fmt.Errorf("websocket upgrade: %w", err)
}
