package stream

import (
	"errors"

	"golang.org/x/sys/windows"
)

func isRefusedOS(err error) bool { return errors.Is(err, windows.WSAECONNREFUSED) }
