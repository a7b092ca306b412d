//go:build !amd64 || purego

package kernels

import "testing"

func paths(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	t.Run("go", f)
}

func setSIMD(bool) (restore func()) { return func() {} }
