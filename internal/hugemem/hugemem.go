package hugemem

import "unsafe"

// PageSize is the huge-page size Make aligns to (x86-64 and arm64 with 4 KiB base
// pages: 2 MiB).
const PageSize = 2 << 20

// MinBytes is the smallest buffer Make backs with huge pages: below it the rounding
// to whole huge pages would more than double the memory a buffer pins, so smaller
// buffers are plain make.
const MinBytes = 512 << 10

// Make returns a zeroed slice of n elements of T, like make([]T, n) with capacity n.
// When the n elements span at least MinBytes and the system supports it, the slice
// starts on a PageSize boundary inside a larger Go allocation (n·size rounded up to
// whole huge pages, plus one huge page for the alignment) whose aligned part is
// advised for transparent huge pages before anything touches it. It panics if n is
// negative.
func Make[T any](n int) []T {
	var z T
	size := int(unsafe.Sizeof(z))
	if n < 0 {
		panic("hugemem: negative length")
	}
	bytes := n * size
	if size == 0 || bytes < MinBytes || !supported || bytes/size != n {
		return make([]T, n)
	}
	span := (bytes + PageSize - 1) / PageSize * PageSize
	all := make([]T, (span+PageSize)/size)
	p := uintptr(unsafe.Pointer(unsafe.SliceData(all)))
	skip := int((PageSize - p%PageSize) % PageSize)
	if skip%size != 0 {
		// Large Go allocations start on 8 KiB boundaries, so this does not happen
		// for element sizes that divide 8 KiB; keep the plain slice otherwise.
		return all[:n:n]
	}
	buf := all[skip/size : skip/size+n : skip/size+n]
	advise(unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(buf))), span))
	return buf
}
