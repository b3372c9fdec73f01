package core

import "log/slog"

// What a protocol package's helpers (rep.Serve, req.Request, ...) may read
// from a socket or a pipe they were handed as an sp.Socket or sp.Pipe.

// Protocol returns the protocol the socket runs, for a protocol package's
// functions that take an sp.Socket and need their own state behind it.
func (s *Socket) Protocol() Protocol { return s.proto }

// Logger returns the socket's logger (sp.Logger), or nil when none is set.
func (s *Socket) Logger() *slog.Logger { return s.logger() }

// Reason returns why the pipe closed (the error it was closed with), or nil
// while it is open.
func (p *Pipe) Reason() error {
	if !p.isClosed.Load() {
		return nil
	}
	return p.reason
}
