//go:build unix

package dataset

import "syscall"

// hdf5CPUNanos returns the user plus system CPU time this process has used.
func hdf5CPUNanos() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
