package array

import (
	"errors"
	"fmt"
	"iter"
	"slices"
)

// Format names the memory layout of an Array.
type Format int

// The array formats. FormatCSR and FormatCSC are 2-D compressed sparse row/column
// matrices (types provided in this package by the sparse code).
const (
	FormatDense Format = iota
	FormatCSR
	FormatCSC
)

// String returns "dense", "csr" or "csc".
func (f Format) String() string {
	switch f {
	case FormatDense:
		return "dense"
	case FormatCSR:
		return "csr"
	case FormatCSC:
		return "csc"
	}
	return fmt.Sprintf("Format(%d)", int(f))
}

// Array is an n-dimensional array of some format: a tile, a result buffer, the contents
// of a .npy file. Code that needs the elements type-switches to the concrete type
// (*Dense[float32], a CSR matrix, …) and uses its exported fast-path accessors, as
// image.Image users do with *image.RGBA.
type Array interface {
	// DType returns the element type.
	DType() DType
	// Shape returns the extents (a fresh slice the caller may keep).
	Shape() []int
	// Size returns the number of elements (1 for a 0-d array).
	Size() int
	// Format returns the storage format.
	Format() Format
}

// ErrShape is wrapped by errors about shapes that do not fit an operation.
var ErrShape = errors.New("shape mismatch")

// Dense is a strided n-dimensional view on a Go slice, like a numpy ndarray: element
// idx lives at Data()[Offset() + Σ idx[i]*Strides()[i]]. Strides are in elements and
// never negative. Views (Slice, Row, Transpose, contiguous Reshape) share the backing
// slice. Methods that take indices panic, like Go slice indexing, on an index out of
// range; they say so in their doc comments. A Dense is not safe for concurrent writes.
type Dense[T any] struct {
	data    []T
	shape   []int
	strides []int
	offset  int
	dtype   DType
}

// cStrides returns C-order (row-major) strides for shape.
func cStrides(shape []int) []int {
	st := make([]int, len(shape))
	s := 1
	for i := len(shape) - 1; i >= 0; i-- {
		st[i] = s
		s *= shape[i]
	}
	return st
}

func checkDims(fn string, shape []int) {
	for i, d := range shape {
		if d < 0 {
			panic(fmt.Sprintf("array.%s: dim %d is negative (%d)", fn, i, d))
		}
	}
	if _, ok := CheckedProd(shape...); !ok {
		panic(fmt.Sprintf("array.%s: shape %s has more elements than an int counts", fn, tupleString(shape)))
	}
}

// Zeros returns a C-contiguous array of the given shape filled with T's zero value. With
// no dims it is a 0-d array holding one element. Its dtype is DTypeOf[T](). It panics if
// a dim is negative or the number of elements overflows an int (check sizes from files
// and users with CheckedProd first).
func Zeros[T any](shape ...int) *Dense[T] {
	checkDims("Zeros", shape)
	return &Dense[T]{
		data:    make([]T, prod(shape)),
		shape:   append([]int(nil), shape...),
		strides: cStrides(shape),
		dtype:   DTypeOf[T](),
	}
}

// Wrap returns a C-contiguous array of the given shape on data, without copying. It
// panics if len(data) differs from the product of shape (1 for no dims) or a dim is
// negative.
func Wrap[T any](data []T, shape ...int) *Dense[T] {
	checkDims("Wrap", shape)
	if len(data) != prod(shape) {
		panic(fmt.Sprintf("array.Wrap: %d elements for shape %s (want %d)", len(data), tupleString(shape), prod(shape)))
	}
	return &Dense[T]{
		data:    data[:len(data):len(data)],
		shape:   append([]int(nil), shape...),
		strides: cStrides(shape),
		dtype:   DTypeOf[T](),
	}
}

// WrapBytes wraps data as a byte-string array of dtype Bytes(n) (numpy S<n>), without
// copying. Values longer than n bytes are truncated when written to a file; trailing NUL
// bytes are not part of a value. It panics like Wrap, and if n < 1.
func WrapBytes(n int, data []string, shape ...int) *Dense[string] {
	dt := Bytes(n)
	if !dt.IsValid() {
		panic(fmt.Sprintf("array.WrapBytes: item size %d, want >= 1", n))
	}
	a := Wrap(data, shape...)
	a.dtype = dt
	return a
}

// New returns a zero-filled C-contiguous array of runtime dtype dt: *Dense[bool],
// *Dense[int8] … *Dense[complex128] for the numeric dtypes, *Dense[string] with dtype
// Bytes(n) for S<n> (elements ""), and *Dense[any] for Object. Object cells are nil, Go's
// zero value — numpy's zeros(dtype=object) would hold integer 0s; nil is the "no value"
// that FillValue(Object) also uses. It panics if dt is invalid or a dim is negative.
func New(dt DType, shape ...int) Array {
	switch dt {
	case Bool:
		return Zeros[bool](shape...)
	case Int8:
		return Zeros[int8](shape...)
	case Int16:
		return Zeros[int16](shape...)
	case Int32:
		return Zeros[int32](shape...)
	case Int64:
		return Zeros[int64](shape...)
	case Uint8:
		return Zeros[uint8](shape...)
	case Uint16:
		return Zeros[uint16](shape...)
	case Uint32:
		return Zeros[uint32](shape...)
	case Uint64:
		return Zeros[uint64](shape...)
	case Float32:
		return Zeros[float32](shape...)
	case Float64:
		return Zeros[float64](shape...)
	case Complex64:
		return Zeros[complex64](shape...)
	case Complex128:
		return Zeros[complex128](shape...)
	case Object:
		return Zeros[any](shape...)
	}
	if dt.kind == KindBytes && dt.IsValid() {
		a := Zeros[string](shape...)
		a.dtype = dt
		return a
	}
	panic(fmt.Sprintf("array.New: invalid dtype %v", dt))
}

// DType returns the element dtype.
func (a *Dense[T]) DType() DType { return a.dtype }

// Rewrap points a at data with the given C-contiguous shape, reusing a's shape and
// stride storage: the zero-allocation way for an engine to hand out the next tile or
// frame through the same *Dense header. The dtype is kept (so a byte-string array stays
// S<n>); a zero Dense gets DTypeOf[T](). It panics like Wrap.
func (a *Dense[T]) Rewrap(data []T, shape ...int) {
	checkDims("Dense.Rewrap", shape)
	if len(data) != prod(shape) {
		panic(fmt.Sprintf("array.Dense.Rewrap: %d elements for shape %s (want %d)", len(data), tupleString(shape), prod(shape)))
	}
	a.shape = append(a.shape[:0], shape...)
	a.strides = append(a.strides[:0], shape...)
	st := 1
	for i := len(shape) - 1; i >= 0; i-- {
		a.strides[i] = st
		st *= shape[i]
	}
	a.data = data[:len(data):len(data)]
	a.offset = 0
	if a.dtype == (DType{}) {
		a.dtype = DTypeOf[T]()
	}
}

// SetView points a at the strided view of data whose element (0, …, 0) is
// data[offset], with the given shape and strides (in elements), reusing a's shape and
// stride storage: no allocation once that storage has grown to the rank. It is the
// general form of Rewrap, SliceInto and RowInto for engines that compute view headers
// themselves (re-pointing one header per frame or tile). The view is normalised like
// any other (Data starts at the element (0, …, 0), Offset is 0); the dtype is kept, a
// zero Dense gets DTypeOf[T](). shape and strides are copied, not retained. It panics
// if their lengths differ, a dim, a stride or offset is negative, or a non-empty view
// reaches past the end of data.
func (a *Dense[T]) SetView(data []T, offset int, shape, strides []int) {
	if len(shape) != len(strides) {
		panic(fmt.Sprintf("array.Dense.SetView: %d dims but %d strides", len(shape), len(strides)))
	}
	if offset < 0 {
		panic(fmt.Sprintf("array.Dense.SetView: offset %d is negative", offset))
	}
	empty := false
	last := offset
	for i, d := range shape {
		st := strides[i]
		if d < 0 || st < 0 {
			panic(fmt.Sprintf("array.Dense.SetView: axis %d has extent %d and stride %d, want both >= 0", i, d, st))
		}
		if d == 0 {
			empty = true
		} else {
			last += (d - 1) * st
		}
	}
	if empty {
		a.data = data[:0:0]
	} else {
		if last >= len(data) {
			panic(fmt.Sprintf("array.Dense.SetView: the view reaches element %d of %d", last, len(data)))
		}
		a.data = data[offset : last+1 : last+1]
	}
	n := len(shape)
	if cap(a.shape) < n || cap(a.strides) < n {
		a.shape, a.strides = make([]int, n), make([]int, n)
	}
	// element-wise: cheaper than copy's memmove call for the few axes of a view
	a.shape, a.strides = a.shape[:n], a.strides[:n]
	for i, d := range shape {
		a.shape[i] = d
		a.strides[i] = strides[i]
	}
	a.offset = 0
	if a.dtype == (DType{}) {
		a.dtype = DTypeOf[T]()
	}
}

// Dim returns the extent of axis i without allocating (Shape copies). It panics if i is
// out of range.
func (a *Dense[T]) Dim(i int) int { return a.shape[i] }

// Stride returns the stride of axis i in elements. It panics if i is out of range.
func (a *Dense[T]) Stride(i int) int { return a.strides[i] }

// Shape returns a copy of the extents.
func (a *Dense[T]) Shape() []int { return append([]int(nil), a.shape...) }

func (a *Dense[T]) shapeRef() []int { return a.shape }

// Strides returns a copy of the strides, in elements.
func (a *Dense[T]) Strides() []int { return append([]int(nil), a.strides...) }

// NDim returns the number of axes.
func (a *Dense[T]) NDim() int { return len(a.shape) }

// Size returns the number of elements: the product of the extents, 1 for a 0-d array.
func (a *Dense[T]) Size() int { return prod(a.shape) }

// Format returns FormatDense.
func (a *Dense[T]) Format() Format { return FormatDense }

// Data returns the backing slice of this view. For a C-contiguous array it is exactly
// the elements in C order (len == Size()); for other views it spans the elements from
// Offset() to the last one reachable through the strides. Writes through it are writes
// to the array.
func (a *Dense[T]) Data() []T { return a.data }

// Offset returns the index in Data() of the element at index (0, …, 0). Views are
// normalised so that it is 0; it is kept for code that indexes Data() by strides.
func (a *Dense[T]) Offset() int { return a.offset }

// IsContiguous reports whether the array is C-contiguous (axes of extent 1 and empty
// arrays are contiguous whatever their strides).
func (a *Dense[T]) IsContiguous() bool {
	want := 1
	for i := len(a.shape) - 1; i >= 0; i-- {
		if a.shape[i] == 0 {
			return true
		}
		if a.shape[i] != 1 && a.strides[i] != want {
			return false
		}
		want *= a.shape[i]
	}
	return true
}

// view builds a normalised view: data re-sliced to start at offset and end after the
// last reachable element.
func (a *Dense[T]) view(shape, strides []int, offset int) *Dense[T] {
	d := &Dense[T]{shape: shape, strides: strides}
	a.viewInto(d, offset)
	return d
}

func (a *Dense[T]) index(fn string, idx []int) int {
	if len(idx) != len(a.shape) {
		panic(fmt.Sprintf("array.Dense.%s: %d indices for %d dims", fn, len(idx), len(a.shape)))
	}
	off := a.offset
	for i, j := range idx {
		if j < 0 || j >= a.shape[i] {
			panic(fmt.Sprintf("array.Dense.%s: index %d out of range [0, %d) on axis %d", fn, j, a.shape[i], i))
		}
		off += j * a.strides[i]
	}
	return off
}

// At returns the element at idx. It panics if len(idx) differs from NDim() or an index
// is out of range.
func (a *Dense[T]) At(idx ...int) T { return a.data[a.index("At", idx)] }

// Set stores v at idx. It panics like At.
func (a *Dense[T]) Set(v T, idx ...int) { a.data[a.index("Set", idx)] = v }

// Slice returns the view a[r[0].Start:r[0].Stop, r[1]…, …]; axes without a Range are kept
// whole. It panics if there are more Ranges than dims or a Range is not within
// [0, extent] with Start <= Stop.
func (a *Dense[T]) Slice(r ...Range) *Dense[T] {
	if len(r) > len(a.shape) {
		panic(fmt.Sprintf("array.Dense.Slice: %d ranges for %d dims", len(r), len(a.shape)))
	}
	shape := append([]int(nil), a.shape...)
	off := a.offset
	for i, rg := range r {
		if rg.Start < 0 || rg.Stop > a.shape[i] || rg.Start > rg.Stop {
			panic(fmt.Sprintf("array.Dense.Slice: range [%d, %d) invalid on axis %d of extent %d", rg.Start, rg.Stop, i, a.shape[i]))
		}
		shape[i] = rg.Len()
		off += rg.Start * a.strides[i]
	}
	return a.view(shape, append([]int(nil), a.strides...), off)
}

// SliceInto is Slice writing the view's header into dst (reusing its storage) instead of
// allocating a new one; it returns dst. dst must not be a. It panics like Slice.
func (a *Dense[T]) SliceInto(dst *Dense[T], r ...Range) *Dense[T] {
	if dst == a {
		panic("array.Dense.SliceInto: dst is the receiver")
	}
	if len(r) > len(a.shape) {
		panic(fmt.Sprintf("array.Dense.SliceInto: %d ranges for %d dims", len(r), len(a.shape)))
	}
	dst.shape = append(dst.shape[:0], a.shape...)
	dst.strides = append(dst.strides[:0], a.strides...)
	off := a.offset
	for i, rg := range r {
		if rg.Start < 0 || rg.Stop > a.shape[i] || rg.Start > rg.Stop {
			panic(fmt.Sprintf("array.Dense.SliceInto: range [%d, %d) invalid on axis %d of extent %d", rg.Start, rg.Stop, i, a.shape[i]))
		}
		dst.shape[i] = rg.Len()
		off += rg.Start * a.strides[i]
	}
	a.viewInto(dst, off)
	return dst
}

// RowInto is Row writing the view's header into dst (reusing its storage); it returns
// dst. dst must not be a. It panics like Row.
func (a *Dense[T]) RowInto(dst *Dense[T], i int) *Dense[T] {
	if dst == a {
		panic("array.Dense.RowInto: dst is the receiver")
	}
	if len(a.shape) == 0 {
		panic("array.Dense.RowInto: 0-d array")
	}
	if i < 0 || i >= a.shape[0] {
		panic(fmt.Sprintf("array.Dense.RowInto: index %d out of range [0, %d)", i, a.shape[0]))
	}
	dst.shape = append(dst.shape[:0], a.shape[1:]...)
	dst.strides = append(dst.strides[:0], a.strides[1:]...)
	a.viewInto(dst, a.offset+i*a.strides[0])
	return dst
}

// viewInto sets dst's data, offset and dtype for a view at offset whose shape and
// strides are already in dst.
func (a *Dense[T]) viewInto(dst *Dense[T], offset int) {
	n := 1
	last := offset
	for i, d := range dst.shape {
		n *= d
		last += (d - 1) * dst.strides[i]
	}
	if n == 0 {
		dst.data = a.data[:0:0]
	} else {
		dst.data = a.data[offset : last+1 : last+1]
	}
	dst.offset = 0
	dst.dtype = a.dtype
}

// Row returns the view a[i], which drops axis 0. It panics if a is 0-d or i is out of
// range.
func (a *Dense[T]) Row(i int) *Dense[T] {
	if len(a.shape) == 0 {
		panic("array.Dense.Row: 0-d array")
	}
	if i < 0 || i >= a.shape[0] {
		panic(fmt.Sprintf("array.Dense.Row: index %d out of range [0, %d)", i, a.shape[0]))
	}
	return a.view(append([]int(nil), a.shape[1:]...), append([]int(nil), a.strides[1:]...), a.offset+i*a.strides[0])
}

// Reshape returns the array with a new shape and the same elements in C order. One
// extent may be -1: it is inferred. As in numpy, the result is a view whenever the
// strides allow one — always for a C-contiguous array, and for strided views whose
// merged or split axes are contiguous among themselves (a sig-sliced (ny, nx, sy, sx)
// view reshaped to (ny*nx, sy, sx')) — and a C-contiguous copy otherwise. Errors wrap
// ErrShape.
func (a *Dense[T]) Reshape(shape ...int) (*Dense[T], error) {
	shape = append([]int(nil), shape...)
	infer := -1
	known := 1
	for i, d := range shape {
		switch {
		case d == -1 && infer < 0:
			infer = i
		case d < 0:
			return nil, fmt.Errorf("array: reshape %v to %v: %w: extents must be >= 0 with at most one -1", a.shape, shape, ErrShape)
		default:
			known *= d
		}
	}
	n := a.Size()
	if infer >= 0 {
		if known == 0 || n%known != 0 {
			return nil, fmt.Errorf("array: reshape %v (size %d) to %v: %w: cannot infer the -1 extent", a.shape, n, shape, ErrShape)
		}
		shape[infer] = n / known
		known = n
	}
	if known != n {
		return nil, fmt.Errorf("array: reshape %v (size %d) to %v (size %d): %w", a.shape, n, shape, known, ErrShape)
	}
	if n == 0 || a.IsContiguous() {
		return a.view(shape, cStrides(shape), a.offset), nil
	}
	if st, ok := nocopyStrides(a.shape, a.strides, shape); ok {
		return a.view(shape, st, a.offset), nil
	}
	c := a.Copy()
	return c.view(shape, cStrides(shape), 0), nil
}

// nocopyStrides returns strides that let newShape index the same elements as (shape,
// strides) in C order, if they exist (numpy's attempt_nocopy_reshape). Both shapes have
// the same non-zero size.
func nocopyStrides(shape, strides, newShape []int) ([]int, bool) {
	var od, os []int // old axes without extent-1 axes
	for i, d := range shape {
		if d != 1 {
			od = append(od, d)
			os = append(os, strides[i])
		}
	}
	ns := make([]int, len(newShape))
	oi, oj, ni, nj := 0, 1, 0, 1
	for ni < len(newShape) && oi < len(od) {
		np, op := newShape[ni], od[oi]
		for np != op {
			if np < op {
				np *= newShape[nj]
				nj++
			} else {
				op *= od[oj]
				oj++
			}
		}
		for k := oi; k < oj-1; k++ {
			if os[k] != od[k+1]*os[k+1] {
				return nil, false
			}
		}
		ns[nj-1] = os[oj-1]
		for k := nj - 1; k > ni; k-- {
			ns[k-1] = ns[k] * newShape[k]
		}
		ni, nj = nj, nj+1
		oi, oj = oj, oj+1
	}
	last := 1
	if ni >= 1 {
		last = ns[ni-1]
	}
	for k := ni; k < len(newShape); k++ {
		ns[k] = last
	}
	return ns, true
}

// Transpose returns the view with axes permuted: axis i of the result is axis axes[i] of
// a. With no arguments the axes are reversed. It panics if axes is not a permutation of
// 0..NDim()-1.
func (a *Dense[T]) Transpose(axes ...int) *Dense[T] {
	n := len(a.shape)
	if len(axes) == 0 {
		axes = make([]int, n)
		for i := range axes {
			axes[i] = n - 1 - i
		}
	}
	if len(axes) != n {
		panic(fmt.Sprintf("array.Dense.Transpose: %d axes for %d dims", len(axes), n))
	}
	seen := make([]bool, n)
	shape := make([]int, n)
	strides := make([]int, n)
	for i, ax := range axes {
		if ax < 0 || ax >= n || seen[ax] {
			panic(fmt.Sprintf("array.Dense.Transpose: %v is not a permutation of %d axes", axes, n))
		}
		seen[ax] = true
		shape[i] = a.shape[ax]
		strides[i] = a.strides[ax]
	}
	return a.view(shape, strides, a.offset)
}

// Copy returns a C-contiguous copy with the same dtype.
func (a *Dense[T]) Copy() *Dense[T] {
	c := &Dense[T]{
		data:    make([]T, a.Size()),
		shape:   append([]int(nil), a.shape...),
		strides: cStrides(a.shape),
		dtype:   a.dtype,
	}
	copyRows(c, a)
	return c
}

// Contiguous returns a itself when it is C-contiguous, else Copy().
func (a *Dense[T]) Contiguous() *Dense[T] {
	if a.IsContiguous() {
		return a
	}
	return a.Copy()
}

// Fill sets every element to v.
func (a *Dense[T]) Fill(v T) {
	if a.IsContiguous() {
		d := a.data[a.offset : a.offset+a.Size()]
		for i := range d {
			d[i] = v
		}
		return
	}
	a.rows(func(off int) {
		inner, st := a.shape[len(a.shape)-1], a.strides[len(a.shape)-1]
		if st == 1 {
			d := a.data[off : off+inner]
			for i := range d {
				d[i] = v
			}
			return
		}
		for k := range inner {
			a.data[off+k*st] = v
		}
	})
}

// CopyFrom copies src's elements into a; both may have any strides. The shapes must be
// equal (error wrapping ErrShape otherwise). Overlapping src and a give unspecified
// results.
func (a *Dense[T]) CopyFrom(src *Dense[T]) error {
	if !slices.Equal(a.shape, src.shape) {
		return fmt.Errorf("array: copy from %v into %v: %w", src.shape, a.shape, ErrShape)
	}
	n := a.Size()
	if a.IsContiguous() && src.IsContiguous() {
		copy(a.data[a.offset:a.offset+n], src.data[src.offset:src.offset+n])
		return nil
	}
	copyRows(a, src)
	return nil
}

// copyRows copies src into dst (same shape) one innermost row at a time.
func copyRows[T any](dst, src *Dense[T]) {
	n := dst.Size()
	if n == 0 {
		return
	}
	nd := len(dst.shape)
	if nd == 0 {
		dst.data[dst.offset] = src.data[src.offset]
		return
	}
	inner := dst.shape[nd-1]
	sd, ss := dst.strides[nd-1], src.strides[nd-1]
	idx := make([]int, nd)
	da, ds := dst.offset, src.offset
	for range n / inner {
		if sd == 1 && ss == 1 {
			copy(dst.data[da:da+inner], src.data[ds:ds+inner])
		} else {
			for k := range inner {
				dst.data[da+k*sd] = src.data[ds+k*ss]
			}
		}
		for ax := nd - 2; ax >= 0; ax-- {
			idx[ax]++
			da += dst.strides[ax]
			ds += src.strides[ax]
			if idx[ax] < dst.shape[ax] {
				break
			}
			da -= idx[ax] * dst.strides[ax]
			ds -= idx[ax] * src.strides[ax]
			idx[ax] = 0
		}
	}
}

// rows calls f with the data offset of the first element of every innermost row, in C
// order. a must not be 0-d.
func (a *Dense[T]) rows(f func(off int)) {
	n := a.Size()
	if n == 0 {
		return
	}
	nd := len(a.shape)
	idx := make([]int, nd)
	off := a.offset
	for range n / a.shape[nd-1] {
		f(off)
		off = nextIndex(idx, a.shape, a.strides, off, nd-2)
	}
}

// All iterates over the elements in C order, yielding each element's flat C-order
// position (0 … Size()-1) and value.
func (a *Dense[T]) All() iter.Seq2[int, T] {
	return func(yield func(int, T) bool) {
		if a.IsContiguous() {
			for i, v := range a.data[a.offset : a.offset+a.Size()] {
				if !yield(i, v) {
					return
				}
			}
			return
		}
		nd := len(a.shape)
		idx := make([]int, nd)
		off := a.offset
		for i := range a.Size() {
			if !yield(i, a.data[off]) {
				return
			}
			off = nextIndex(idx, a.shape, a.strides, off, nd-1)
		}
	}
}

// ForEach calls f with the index and value of every element, in C order. idx is reused
// between calls; copy it to keep it.
func (a *Dense[T]) ForEach(f func(idx []int, v T)) {
	nd := len(a.shape)
	idx := make([]int, nd)
	off := a.offset
	for range a.Size() {
		f(idx, a.data[off])
		off = nextIndex(idx, a.shape, a.strides, off, nd-1)
	}
}

// nextIndex advances the C-order multi-index idx over shape by one step of axis last
// (carrying into the axes before it, wrapping to all zeros after the end) and returns
// the data offset off moved along strides to match.
func nextIndex(idx, shape, strides []int, off, last int) int {
	for ax := last; ax >= 0; ax-- {
		idx[ax]++
		off += strides[ax]
		if idx[ax] < shape[ax] {
			return off
		}
		off -= idx[ax] * strides[ax]
		idx[ax] = 0
	}
	return off
}
