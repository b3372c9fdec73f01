// Package ipc implements the ipc:// transport: the SP handshake and frames
// (a type byte 0x01, a 64-bit length, the message) over Unix domain stream
// sockets.
//
// Addresses are ipc:///absolute/path or ipc://relative/path; unix:// is an
// alias, as in nng. On Linux, abstract://name uses the abstract socket
// namespace (no file at all).
//
// A listener removes a stale socket file, one that nobody answers on, before
// it binds; it never removes a live one (the listen fails with
// sp.ErrAddrInUse) nor a file that is not a socket. Closing the listener
// removes its socket file.
//
// Options: Permissions, set on a listener, chmods its socket file after
// bind (sp.With(ipc.Permissions, 0o600), say).
//
// Pipe properties: every ipc pipe, dialed or accepted, knows the
// credentials of the process at the other end, as the kernel recorded them
// at connect time (SO_PEERCRED; Linux only, sp.ErrNotSupported elsewhere).
// Read them with sp.GetOption on the pipe, for instance to serve only
// requests from one user:
//
//	m, err := s.RecvMsg(ctx)
//	uid, err := sp.GetOption(m.Pipe(), ipc.PeerUID)
//
// PeerGID and PeerPID work the same way. On a dialed pipe they describe
// the process that made the listening socket.
//
// # Windows
//
// On Windows, ipc:// and unix:// use AF_UNIX stream sockets too, through
// package net: Windows 10 version 1803 and Windows Server 2019 have them,
// and on older versions Listen and Dial fail. What follows the scheme is
// handed to the system as the socket file's path, as on Unix, so write a
// Windows path there (ipc://C:/ProgramData/app/app.sock). This is not the
// ipc of nng and nanomsg on Windows, which use named pipes
// (\\.\pipe\name): an sp socket and an nng or nanomsg one cannot meet
// over ipc:// there (use tcp on loopback). abstract:// does not exist on
// Windows. Stale socket files are found and removed as on Unix, and closing
// a listener removes its file. Permissions means what os.Chmod means on
// Windows (only the owner's write bit, as the read-only attribute): it does
// not limit who may connect. Peer credentials return sp.ErrNotSupported.
// The Windows build is compiled and vetted, but not tested, by this
// project.
//
// The transport registers itself with sp.RegisterTransport; every socket
// can use it without an import.
package ipc

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/stream"
)

func init() { sp.RegisterTransport(Transport{}) }

// Transport is the ipc transport.
type Transport struct{}

// Schemes implements sp.Transport.
func (Transport) Schemes() []string {
	s := []string{"ipc", "unix"}
	if runtime.GOOS == "linux" {
		s = append(s, "abstract")
	}
	return s
}

// maxPath is the longest path a sockaddr_un holds, less its NUL.
const maxPath = 107

// parse returns the socket address (a path, or "@name" for abstract) and
// whether it is abstract.
func parse(addr string) (string, bool, error) {
	scheme, rest, _ := strings.Cut(addr, "://")
	if rest == "" {
		return "", false, fmt.Errorf("%w: %q: want %s:///path/to/socket", sp.ErrBadURL, addr, scheme)
	}
	if strings.IndexByte(rest, 0) >= 0 {
		return "", false, fmt.Errorf("%w: %q: NUL in path", sp.ErrBadURL, addr)
	}
	if scheme == "abstract" {
		if len(rest)+1 > maxPath {
			return "", false, fmt.Errorf("%w: %q: abstract name longer than %d bytes", sp.ErrBadURL, addr, maxPath-1)
		}
		return "@" + rest, true, nil
	}
	if len(rest) > maxPath {
		return "", false, fmt.Errorf("%w: %q: path longer than %d bytes", sp.ErrBadURL, addr, maxPath)
	}
	return rest, false, nil
}

// NewDialer implements sp.Transport.
func (Transport) NewDialer(addr string, cfg sp.TransportConfig) (sp.TransportDialer, error) {
	path, _, err := parse(addr)
	if err != nil {
		return nil, err
	}
	return &dialer{path: path, proto: cfg.Protocol().Self}, nil
}

type dialer struct {
	path  string
	proto uint16
}

func (d *dialer) Dial(ctx context.Context) (sp.TransportConn, error) {
	var nd net.Dialer
	c, err := nd.DialContext(ctx, "unix", d.path)
	if err != nil {
		return nil, stream.DialError(err)
	}
	return newConn(c, d.proto), nil
}

// NewListener implements sp.Transport. The listener's Addr is a
// *net.UnixAddr.
func (Transport) NewListener(addr string, cfg sp.TransportConfig) (sp.TransportListener, error) {
	path, abstract, err := parse(addr)
	if err != nil {
		return nil, err
	}
	bind := func() (net.Listener, error) {
		perm, err := sp.GetOption(cfg, Permissions)
		if err != nil {
			perm = 0
		}
		if abstract {
			if perm != 0 {
				return nil, fmt.Errorf("%w: %s on abstract socket %s, which has no file",
					sp.ErrNotSupported, Permissions.Name(), addr)
			}
			return net.Listen("unix", path)
		}
		if err := removeStale(path); err != nil {
			return nil, err
		}
		l, err := net.Listen("unix", path)
		if err != nil || perm == 0 {
			return l, err
		}
		if err := os.Chmod(path, perm); err != nil {
			l.Close()
			return nil, fmt.Errorf("%s: %w", Permissions.Name(), err)
		}
		return l, nil
	}
	return listener{stream.NewListener(cfg.Protocol().Self, true, bind, nil)}, nil
}

// removeStale removes path if it is a socket nobody answers on.
func removeStale(path string) error {
	fi, err := os.Lstat(path)
	if err != nil {
		return nil // nothing there (or nothing we may see): let bind say
	}
	if fi.Mode()&os.ModeSocket == 0 {
		return fmt.Errorf("%w: %s exists and is not a socket", sp.ErrAddrInUse, path)
	}
	c, err := net.DialTimeout("unix", path, time.Second)
	if err == nil {
		c.Close()
		return fmt.Errorf("%w: %s: another listener is live", sp.ErrAddrInUse, path)
	}
	if stream.IsRefused(err) {
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	return nil
}
