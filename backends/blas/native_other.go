//go:build !(linux || darwin || freebsd) || noblas

package blas

import (
	"errors"
	"fmt"
)

// ErrNoLibrary is wrapped by LoadError when no usable CBLAS library was
// found or loading was disabled.
var ErrNoLibrary = errors.New("blas: no native CBLAS library")

func load() (*library, error) {
	return nil, fmt.Errorf("%w: native libraries are not supported on this platform or build", ErrNoLibrary)
}

func nativeSgemm(*library, bool, bool, int, int, int, float32, []float32, int, []float32, int, float32, []float32, int) {
	panic("unreachable")
}

func nativeDgemm(*library, bool, bool, int, int, int, float64, []float64, int, []float64, int, float64, []float64, int) {
	panic("unreachable")
}
