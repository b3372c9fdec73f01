//go:build !unix

package sp

import (
	"fmt"
	"net"
	"os"
	"runtime"
)

// activationListeners fails when descriptors were passed: this system
// has no Unix descriptors to take.
func activationListeners() ([]net.Listener, []string, error) {
	_, set := os.LookupEnv(envListenFDs)
	os.Unsetenv(envListenPID)
	os.Unsetenv(envListenFDs)
	os.Unsetenv(envListenNames)
	if !set {
		return nil, nil, nil
	}
	return nil, nil, fmt.Errorf("%w: socket activation (%s) on %s", ErrNotSupported, envListenFDs, runtime.GOOS)
}
