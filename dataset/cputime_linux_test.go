package dataset

import "syscall"

// threadCPU returns the CPU time (user + system) the calling thread has used, in
// nanoseconds, and true; benchmarks lock their goroutine to a thread to use it.
func threadCPU() (int64, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(1 /* RUSAGE_THREAD */, &ru); err != nil {
		return 0, false
	}
	return ru.Utime.Nano() + ru.Stime.Nano(), true
}
