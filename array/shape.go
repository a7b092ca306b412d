package array

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Shape is the shape of a dataset, partition or tile split into navigation (scan) axes
// followed by signal (detector) axes: a 4D-STEM scan is NewShape([]int{ny, nx, sy, sx}, 2).
// A Shape is an immutable value; every method that returns dims returns a fresh slice.
// The zero Shape has no dims.
type Shape struct {
	dims    []int
	sigDims int
}

// NewShape returns the shape dims whose last sigDims axes are the signal. dims is copied.
// It panics if sigDims is negative or larger than len(dims), if a dim is negative, or if
// the number of elements overflows an int (check sizes from files and users with
// CheckedProd first).
func NewShape(dims []int, sigDims int) Shape {
	if sigDims < 0 || sigDims > len(dims) {
		panic(fmt.Sprintf("array.NewShape: sigDims %d out of range [0, %d]", sigDims, len(dims)))
	}
	for i, d := range dims {
		if d < 0 {
			panic(fmt.Sprintf("array.NewShape: dim %d is negative (%d)", i, d))
		}
	}
	if _, ok := CheckedProd(dims...); !ok {
		panic(fmt.Sprintf("array.NewShape: %v has more elements than an int counts", dims))
	}
	return Shape{dims: append([]int(nil), dims...), sigDims: sigDims}
}

// Dims returns all extents, nav first.
func (s Shape) Dims() []int { return append([]int(nil), s.dims...) }

// Nav returns the navigation extents.
func (s Shape) Nav() []int { return append([]int(nil), s.dims[:s.NavDims()]...) }

// Sig returns the signal extents.
func (s Shape) Sig() []int { return append([]int(nil), s.dims[s.NavDims():]...) }

// Len returns the number of axes.
func (s Shape) Len() int { return len(s.dims) }

// Dim returns the extent of axis i.
func (s Shape) Dim(i int) int { return s.dims[i] }

// NavDims returns the number of navigation axes.
func (s Shape) NavDims() int { return len(s.dims) - s.sigDims }

// SigDims returns the number of signal axes.
func (s Shape) SigDims() int { return s.sigDims }

// sizeOf is the product of dims with the reference's quirk: no dims → 0.
func sizeOf(dims []int) int {
	if len(dims) == 0 {
		return 0
	}
	return prod(dims)
}

// prod is the plain product: 1 for no dims.
func prod(dims []int) int {
	p := 1
	for _, d := range dims {
		p *= d
	}
	return p
}

// Size returns the number of elements. As in the reference a shape
// with no dims has size 0, not 1.
func (s Shape) Size() int { return sizeOf(s.dims) }

// NavSize returns the number of navigation positions (frames); 0 when there are no nav
// axes, consistently with Size.
func (s Shape) NavSize() int { return sizeOf(s.dims[:s.NavDims()]) }

// SigSize returns the number of elements of one frame; 0 when there are no sig axes.
func (s Shape) SigSize() int { return sizeOf(s.dims[s.NavDims():]) }

// FlattenNav returns (prod(nav),) + sig with the same sig dims. The flat nav axis is the
// plain product of the nav extents (1 when there are no nav axes).
func (s Shape) FlattenNav() Shape {
	d := append([]int{prod(s.dims[:s.NavDims()])}, s.dims[s.NavDims():]...)
	return Shape{dims: d, sigDims: s.sigDims}
}

// FlattenSig returns nav + (prod(sig),) with one sig dim.
func (s Shape) FlattenSig() Shape {
	d := append(s.Nav(), prod(s.dims[s.NavDims():]))
	return Shape{dims: d, sigDims: 1}
}

// AppendSig returns the shape with extra signal axes at the end (the reference's
// shape + (a, b)).
func (s Shape) AppendSig(dims ...int) Shape {
	return NewShape(append(s.Dims(), dims...), s.sigDims+len(dims))
}

// PrependNav returns the shape with extra navigation axes at the front (the reference's
// (a, b) + shape).
func (s Shape) PrependNav(dims ...int) Shape {
	return NewShape(append(append([]int(nil), dims...), s.dims...), s.sigDims)
}

// Equal reports whether both shapes have the same extents and the same number of sig dims.
func (s Shape) Equal(o Shape) bool {
	return s.sigDims == o.sigDims && slices.Equal(s.dims, o.dims)
}

// String formats the shape as "(4, 4, 16, 16)/2": extents, then the number of sig dims.
func (s Shape) String() string {
	return tupleString(s.dims) + "/" + strconv.Itoa(s.sigDims)
}

func tupleString(d []int) string {
	var b strings.Builder
	b.WriteByte('(')
	for i, v := range d {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Itoa(v))
	}
	if len(d) == 1 {
		b.WriteByte(',')
	}
	b.WriteByte(')')
	return b.String()
}

// CheckedProd returns the product of dims, or ok false when a dim is negative or the
// product does not fit in an int. No dims give 1. Use it wherever extents meet a size
// (element counts, byte counts, allocations) that come from a file or a user.
func CheckedProd(dims ...int) (p int, ok bool) {
	p = 1
	for _, d := range dims {
		if p, ok = CheckedMul(p, d); !ok {
			return 0, false
		}
	}
	return p, true
}

// CheckedMul returns a×b, or ok false when a or b is negative or the product does not
// fit in an int.
func CheckedMul(a, b int) (int, bool) {
	if a < 0 || b < 0 {
		return 0, false
	}
	if a != 0 && b > math.MaxInt/a {
		return 0, false
	}
	return a * b, true
}
