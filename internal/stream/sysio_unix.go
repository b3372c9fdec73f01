//go:build unix

package stream

import "syscall"

// haveRawIO reports whether reads and writes may go straight to a
// connection's descriptor (syscall.RawConn), without waiting in the
// runtime's network poller.
const haveRawIO = true

func sysRead(fd uintptr, p []byte) (int, error)  { return syscall.Read(int(fd), p) }
func sysWrite(fd uintptr, p []byte) (int, error) { return syscall.Write(int(fd), p) }
