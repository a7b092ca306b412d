package hdf5

import (
	"errors"
	"fmt"
	"unsafe"
)

// Errors of the metadata layer (besides ErrNoLibrary and ErrFilter).
var (
	// ErrNotHDF5 is wrapped when a file cannot be opened as HDF5.
	ErrNotHDF5 = errors.New("not an HDF5 file")
	// ErrNotDataset is wrapped when a path names no dataset.
	ErrNotDataset = errors.New("no such HDF5 dataset")
	// ErrType is wrapped for element types that are not numbers.
	ErrType = errors.New("unsupported HDF5 datatype")
	// ErrLayout is wrapped for storage layouts that cannot be read (virtual, external
	// raw files) and for a chunk index that cannot be read.
	ErrLayout = errors.New("unsupported HDF5 storage layout")
)

// Kind is the kind of number an element holds.
type Kind byte

// Element kinds (numpy's kind characters).
const (
	KindBool    Kind = 'b'
	KindInt     Kind = 'i'
	KindUint    Kind = 'u'
	KindFloat   Kind = 'f'
	KindComplex Kind = 'c'
)

// Type is a numeric element type: kind, size in bytes, byte order.
type Type struct {
	Kind      Kind
	Size      int
	BigEndian bool
}

// String returns the numpy type string: "<u2", ">f4", "|b1".
func (t Type) String() string {
	o := byte('<')
	if t.BigEndian {
		o = '>'
	}
	if t.Size == 1 {
		o = '|'
	}
	return fmt.Sprintf("%c%c%d", o, t.Kind, t.Size)
}

// memType returns a new datatype id for t in host byte order (close it).
func (l *library) memType(t Type) (hid, error) {
	var base string
	switch {
	case t.Kind == KindBool && t.Size == 1:
		base = "NATIVE_UINT8"
	case t.Kind == KindInt || t.Kind == KindUint:
		names := map[int]string{1: "INT8", 2: "INT16", 4: "INT32", 8: "INT64"}
		n, ok := names[t.Size]
		if !ok {
			return -1, fmt.Errorf("%w: %v", ErrType, t)
		}
		if t.Kind == KindUint {
			n = "U" + n
		}
		base = "NATIVE_" + n
	case t.Kind == KindFloat && t.Size == 4:
		base = "NATIVE_FLOAT"
	case t.Kind == KindFloat && t.Size == 8:
		base = "NATIVE_DOUBLE"
	case t.Kind == KindComplex && (t.Size == 8 || t.Size == 16):
		part := "NATIVE_FLOAT"
		if t.Size == 16 {
			part = "NATIVE_DOUBLE"
		}
		c := l.tcreate(tCompound, uintptr(t.Size))
		l.tinsert(c, "r", 0, l.types[part])
		l.tinsert(c, "i", uintptr(t.Size/2), l.types[part])
		return c, nil
	default:
		return -1, fmt.Errorf("%w: %v", ErrType, t)
	}
	return l.tcopy(l.types[base]), nil
}

// fileType returns a new datatype id for t in its own byte order (close it).
func (l *library) fileType(t Type) (hid, error) {
	if t.Kind == KindComplex {
		part, err := l.fileType(Type{Kind: KindFloat, Size: t.Size / 2, BigEndian: t.BigEndian})
		if err != nil {
			return -1, err
		}
		defer l.tclose(part)
		c := l.tcreate(tCompound, uintptr(t.Size))
		l.tinsert(c, "r", 0, part)
		l.tinsert(c, "i", uintptr(t.Size/2), part)
		return c, nil
	}
	m, err := l.memType(t)
	if err != nil {
		return -1, err
	}
	if t.Size > 1 {
		order := int32(0)
		if t.BigEndian {
			order = 1
		}
		l.tsetOrder(m, order)
	}
	return m, nil
}

func ptr[T any](p *T) unsafe.Pointer { return unsafe.Pointer(p) }
