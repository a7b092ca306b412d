//go:build !amd64 || purego

package kernels

// HasSIMD reports whether the kernels run SIMD assembly on this machine.
func HasSIMD() bool { return false }
