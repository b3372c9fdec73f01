package ipc

import (
	"fmt"
	"net"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/stream"
)

// The ipc transport adopts listeners the application made.
var _ sp.ListenerAdopter = Transport{}

// AdoptListener implements sp.ListenerAdopter: it accepts connections on l,
// a Unix stream listener (its Addr a *net.UnixAddr of network "unix"), and
// speaks the ipc mapping over each; its pipes know their peer's
// credentials as those of a listener ipc binds. Closing the returned
// listener closes l, which removes its socket file if package net made
// the file (net.Listen, not net.FileListener). Permissions does not apply:
// the file is the application's.
func (Transport) AdoptListener(l net.Listener, cfg sp.TransportConfig) (sp.TransportListener, error) {
	if a, ok := l.Addr().(*net.UnixAddr); !ok || a.Net != "unix" {
		return nil, fmt.Errorf("%w: ipc adopts Unix stream listeners, not %s ones", sp.ErrNotSupported, l.Addr().Network())
	}
	bound := func() (net.Listener, error) { return l, nil }
	return listener{stream.NewListener(cfg.Protocol().Self, true, bound, nil)}, nil
}
