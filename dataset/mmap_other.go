//go:build !(linux || darwin || freebsd || netbsd || openbsd)

package dataset

import (
	"io"
	"os"
)

// mapFile reads the whole file where memory mapping is not available.
func mapFile(f *os.File, size int64, populate bool) ([]byte, error) {
	b := make([]byte, size)
	_, err := io.ReadFull(io.NewSectionReader(f, 0, size), b)
	return b, err
}

func unmapFile(b []byte) error { return nil }

const ioKind = "read"
