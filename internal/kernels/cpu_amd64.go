//go:build !purego

package kernels

import "golang.org/x/sys/cpu"

// useAVX2 selects the assembly kernels. Tests flip it to exercise both paths.
var useAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// HasSIMD reports whether the kernels run SIMD assembly on this machine.
func HasSIMD() bool { return useAVX2 }
