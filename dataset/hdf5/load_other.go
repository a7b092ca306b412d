//go:build !(linux || darwin || freebsd) || nohdf5

package hdf5

import "fmt"

func load() (*library, error) {
	return nil, fmt.Errorf("%w (native libraries are not supported on this platform or build)", ErrNoLibrary)
}
