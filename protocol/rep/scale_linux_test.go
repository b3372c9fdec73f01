package rep_test

import (
	"os/exec"
	"syscall"
)

// raiseFDLimit raises the soft RLIMIT_NOFILE to the hard limit and returns
// the new soft limit.
func raiseFDLimit() (uint64, error) {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return 0, err
	}
	if l.Cur < l.Max {
		l.Cur = l.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
			return 0, err
		}
	}
	return l.Cur, nil
}

// dieWithParent has the kernel kill cmd's process when this one ends (the
// end of its stdin is what it otherwise relies on).
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
