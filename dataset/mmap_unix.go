//go:build linux || darwin || freebsd || netbsd || openbsd

package dataset

import (
	"os"
	"syscall"
)

// mapFile maps size bytes of f read-only. With populate, the page tables are filled up
// front (Linux MAP_POPULATE). The mapping is advised for sequential access.
func mapFile(f *os.File, size int64, populate bool) ([]byte, error) {
	flags := syscall.MAP_SHARED
	if populate {
		flags |= mapPopulate
	}
	b, err := syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ, flags)
	if err != nil {
		return nil, err
	}
	advise(b)
	return b, nil
}

func unmapFile(b []byte) error { return syscall.Munmap(b) }

const ioKind = "mmap"
