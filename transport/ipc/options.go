package ipc

import (
	"fmt"
	"os"

	"github.com/spgo/sp"
)

// Permissions sets the permission bits (0 to 0777) of a listener's socket
// file, applied with chmod right after the socket is bound. The default, 0,
// leaves the file as bind made it (0777 less the process's umask).
//
// The file exists with bind's permissions for the moment between bind and
// chmod; a peer that must never connect should be kept out by the
// directory's permissions too. An abstract:// socket has no file: a
// listener on one with Permissions set fails to Listen with
// sp.ErrNotSupported. On a dialer the option has no effect.
//
//	err := s.Listen("ipc:///run/app.sock", sp.With(ipc.Permissions, 0o660))
var Permissions = sp.NewOption[os.FileMode]("ipc:permissions")

// Properties of an ipc pipe: the credentials of the process at the other
// end, as the kernel recorded them when the connection was made (Linux
// SO_PEERCRED). Read them from a pipe, on either side:
//
//	pid, err := sp.GetOption(msg.Pipe(), ipc.PeerPID)
//
// On systems where the credentials are not available they return an error
// wrapping sp.ErrNotSupported. They cannot be set.
var (
	// PeerUID is the peer process's effective user id.
	PeerUID = sp.NewOption[int]("ipc:peer-uid")
	// PeerGID is the peer process's effective group id.
	PeerGID = sp.NewOption[int]("ipc:peer-gid")
	// PeerPID is the peer process's id.
	PeerPID = sp.NewOption[int]("ipc:peer-pid")
)

func init() {
	sp.RegisterOption(Permissions, 0, func(m os.FileMode) error {
		if m&^os.ModePerm != 0 {
			return fmt.Errorf("mode %v has bits beyond the permissions 0777", m)
		}
		return nil
	})
}
