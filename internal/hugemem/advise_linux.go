package hugemem

import "syscall"

const supported = true

// madvHugepage is MADV_HUGEPAGE (the syscall package does not name it).
const madvHugepage = 14

// advise asks for transparent huge pages on b (PageSize-aligned, whole huge pages).
// An error (no THP support in the kernel) leaves small pages: nothing to report.
func advise(b []byte) { _ = syscall.Madvise(b, madvHugepage) }
