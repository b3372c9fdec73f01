//go:build !unix

package stream

import "errors"

// haveRawIO reports whether reads and writes may go straight to a
// connection's descriptor: not here (Windows sockets are read through the
// runtime's overlapped I/O), so connections use net.Conn's Read and Write.
const haveRawIO = false

var errNoRawIO = errors.New("stream: no raw descriptor I/O on this system")

func sysRead(uintptr, []byte) (int, error)  { return 0, errNoRawIO }
func sysWrite(uintptr, []byte) (int, error) { return 0, errNoRawIO }
