// Package hugemem owns the allocation of large, long-lived scratch buffers that a
// pass fills once per block and reads right back (the tile buffers of copying reads):
// Make returns an ordinary Go slice whose memory, on Linux, is advised for
// transparent huge pages before its first touch.
//
// Why: a one-shot run touches its scratch memory for the first time during the pass,
// and every fresh 4 KiB page costs a page fault (measured 20–40 µs each, kernel time
// included, on the shared Firecracker VM: a 1 MiB buffer per worker is 256 faults,
// 5–10 ms of CPU). One 2 MiB huge page costs one fault and one 2 MiB clear. The
// advice only changes how the kernel backs the memory: contents, lifetime (the
// garbage collector owns the slice) and results are those of make. Where the kernel
// has no huge page to give, or huge pages are off (transparent_hugepage=never), or
// on other systems, the memory is backed by small pages exactly as with make.
//
// The package imports only the standard library.
package hugemem
