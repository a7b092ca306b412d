package hugemem

import (
	"os"
	"runtime"
	"strings"
	"syscall"
	"testing"
)

// thpOff reports whether transparent huge pages are unavailable to madvise.
func thpOff() bool {
	b, err := os.ReadFile("/sys/kernel/mm/transparent_hugepage/enabled")
	return err != nil || strings.Contains(string(b), "[never]")
}

// minorFaults returns the calling thread's minor page faults so far.
func minorFaults(t *testing.T) int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(1 /* RUSAGE_THREAD */, &ru); err != nil {
		t.Skipf("getrusage: %v", err)
	}
	return ru.Minflt
}

// TestMakeFaults checks the point of the package: the first touch of a 2 MiB buffer
// from Make costs a handful of page faults, not one per 4 KiB page (512). The kernel
// may have no huge page to give (fragmented memory): the test then skips.
func TestMakeFaults(t *testing.T) {
	if thpOff() {
		t.Skip("transparent huge pages are off")
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	const n = PageSize
	touch := func(b []byte) int64 {
		f0 := minorFaults(t)
		for i := 0; i < len(b); i += 4096 {
			b[i] = 1
		}
		return minorFaults(t) - f0
	}
	got := touch(Make[byte](n))
	if got > 16 {
		small := touch(make([]byte, n))
		if small <= 16 {
			t.Skipf("the heap reused touched memory (plain make: %d faults)", small)
		}
		t.Skipf("no huge page granted: %d faults for %d bytes (plain make: %d)", got, n, small)
	}
	t.Logf("%d faults for a fresh %d-byte buffer", got, n)
}
