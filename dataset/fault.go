package dataset

import (
	"fmt"
	"os"
	"unsafe"
)

// faultError classifies a value recovered while reading a mapped file: a memory fault
// (raised as a panic under debug.SetPanicOnFault) at an address inside mem, the mapping
// of the file at path which held size bytes at open. It returns a *TruncatedError when
// the file is now shorter, ErrIO for any other fault inside the mapping, and nil when r
// is not such a fault (the caller re-panics).
func faultError(r any, path string, mem []byte, size int64) error {
	fa, ok := r.(interface{ Addr() uintptr })
	if !ok || len(mem) == 0 {
		return nil
	}
	lo := uintptr(unsafe.Pointer(unsafe.SliceData(mem)))
	// the mapping extends to the end of its last page
	page := uintptr(os.Getpagesize())
	hi := (lo + uintptr(len(mem)) + page - 1) &^ (page - 1)
	a := fa.Addr()
	if a < lo || a >= hi {
		return nil
	}
	st, err := os.Stat(path)
	switch {
	case err != nil:
		return &TruncatedError{OldSize: size, NewSize: -1}
	case st.Size() < size:
		return &TruncatedError{OldSize: size, NewSize: st.Size()}
	}
	return fmt.Errorf("memory fault at offset %d of the mapping: %w", a-lo, ErrIO)
}
