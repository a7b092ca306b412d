//go:build !purego

package kernels

import "testing"

// paths runs f once with the pure-Go kernels and, where the CPU allows, once
// with the assembly kernels. Tests using it must not run in parallel.
func paths(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	saved := useAVX2
	defer func() { useAVX2 = saved }()
	useAVX2 = false
	t.Run("go", f)
	if !saved {
		t.Log("no AVX2/FMA on this CPU: assembly path not tested")
		return
	}
	useAVX2 = true
	t.Run("simd", f)
}

func setSIMD(on bool) (restore func()) {
	saved := useAVX2
	useAVX2 = on && saved
	return func() { useAVX2 = saved }
}
