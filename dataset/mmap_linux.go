package dataset

import "syscall"

const mapPopulate = syscall.MAP_POPULATE

// advise tells the kernel the mapping is read sequentially (aggressive read-ahead).
func advise(b []byte) { _ = syscall.Madvise(b, syscall.MADV_SEQUENTIAL) }
