//go:build !linux

package core

import "errors"

// canWatch reports whether the role watcher works here (see rolewatch.go).
const canWatch = false

func watchFD(*readRole) error {
	return errors.New("core: no role watcher on this system")
}

func unwatchFD(*readRole) {}
