package udf

import (
	"unsafe"

	"github.com/stemflow/stemflow/array"
)

// view is a reusable window on a base dense array whose header the engine re-points
// per tile and frame. With fastViews the header of one *array.Dense is rewritten in
// place (no allocation, stable pointer); otherwise each re-point allocates a fresh view
// through array's public API, and current() returns the new pointer.
type view interface {
	// current returns the view array (valid until the next re-point).
	current() array.Array
	// setBase replaces the base array (same element type).
	setBase(b array.Array)
	// rows points the view at base[lo:lo+n] (all other axes whole).
	rows(lo, n int)
	// row points the view at base[i] with axis 0 dropped; an array with only axis 0
	// gives shape (1,) (the reference's frame view of a nav buffer without extra shape).
	row(i int)
	// box points the view at base restricted to r on the leading len(r) axes.
	box(r []array.Range)
	// whole points the view at the whole base.
	whole()
}

// denseHeader mirrors array.Dense's field layout. It is used only when layoutOK
// verified at start-up that the mirror matches (see fastViews).
type denseHeader[T any] struct {
	data    []T
	shape   []int
	strides []int
	offset  int
	dtype   array.DType
}

func hdr[T any](d *array.Dense[T]) *denseHeader[T] {
	return (*denseHeader[T])(unsafe.Pointer(d))
}

// fastViews tells whether in-place view headers are safe: array.Dense must have the
// mirrored layout, which is checked against its public accessors.
var fastViews = layoutOK()

func layoutOK() bool {
	if unsafe.Sizeof(array.Dense[float32]{}) != unsafe.Sizeof(denseHeader[float32]{}) {
		return false
	}
	base := array.Wrap([]float32{1, 2, 3, 4, 5, 6}, 2, 3)
	v := base.Slice(array.Range{Start: 1, Stop: 2}, array.Range{Start: 1, Stop: 3})
	h := hdr(v)
	if len(h.shape) != 2 || h.shape[0] != 1 || h.shape[1] != 2 {
		return false
	}
	st := v.Strides()
	if len(h.strides) != 2 || h.strides[0] != st[0] || h.strides[1] != st[1] {
		return false
	}
	if h.offset != v.Offset() || h.dtype != v.DType() {
		return false
	}
	d := v.Data()
	if len(h.data) != len(d) || len(d) == 0 || &h.data[0] != &d[0] {
		return false
	}
	// A write through a rewritten header must be visible through the public API.
	w := array.Zeros[float32](1)
	buf := []float32{7, 8}
	hw := hdr(w)
	hw.data = buf[1:2]
	return w.At(0) == 8
}

// newView implements ops.
func (t typed[T]) newView() view {
	v := &denseView[T]{base: t.d}
	v.init()
	return v
}

type denseView[T any] struct {
	base    *array.Dense[T]
	v       *array.Dense[T]
	bshape  []int // base shape
	bstride []int // base strides
	shape   []int // scratch for the view's shape (fast path)
	strides []int
}

func (v *denseView[T]) init() {
	v.bshape = v.base.Shape()
	v.bstride = v.base.Strides()
	n := len(v.bshape)
	if n == 0 {
		n = 1
	}
	if fastViews {
		v.v = array.Zeros[T]()
		h := hdr(v.v)
		h.dtype = v.base.DType()
		v.shape = make([]int, n)
		v.strides = make([]int, n)
	}
	v.whole()
}

func (v *denseView[T]) current() array.Array { return v.v }

func (v *denseView[T]) setBase(b array.Array) {
	v.base = b.(*array.Dense[T])
	bs := v.base.Shape()
	if len(bs) != len(v.bshape) && fastViews {
		n := max(len(bs), 1)
		v.shape = make([]int, n)
		v.strides = make([]int, n)
	}
	v.bshape = bs
	v.bstride = v.base.Strides()
}

// set points the fast header at base data starting at element off with the given
// shape and strides (already written to v.shape/v.strides[:nd]).
func (v *denseView[T]) set(off, nd int) {
	h := hdr(v.v)
	h.shape = v.shape[:nd]
	h.strides = v.strides[:nd]
	h.offset = 0
	n := 1
	last := off
	for i := 0; i < nd; i++ {
		n *= h.shape[i]
		last += (h.shape[i] - 1) * h.strides[i]
	}
	data := v.base.Data()
	if n == 0 {
		h.data = data[:0:0]
	} else {
		h.data = data[off : last+1 : last+1]
	}
}

func (v *denseView[T]) rows(lo, n int) {
	if !fastViews {
		v.v = v.base.Slice(array.Range{Start: lo, Stop: lo + n})
		return
	}
	nd := len(v.bshape)
	copy(v.shape, v.bshape)
	copy(v.strides, v.bstride)
	v.shape[0] = n
	v.set(lo*v.bstride[0], nd)
}

func (v *denseView[T]) row(i int) {
	nd := len(v.bshape)
	if !fastViews {
		if nd == 1 {
			v.v = v.base.Slice(array.Range{Start: i, Stop: i + 1})
		} else {
			v.v = v.base.Row(i)
		}
		return
	}
	if nd == 1 {
		v.shape[0] = 1
		v.strides[0] = 1
		v.set(i*v.bstride[0], 1)
		return
	}
	copy(v.shape, v.bshape[1:])
	copy(v.strides, v.bstride[1:])
	v.set(i*v.bstride[0], nd-1)
}

func (v *denseView[T]) box(r []array.Range) {
	if !fastViews {
		v.v = v.base.Slice(r...)
		return
	}
	nd := len(v.bshape)
	copy(v.shape, v.bshape)
	copy(v.strides, v.bstride)
	off := 0
	for i, rg := range r {
		v.shape[i] = rg.Stop - rg.Start
		off += rg.Start * v.bstride[i]
	}
	v.set(off, nd)
}

func (v *denseView[T]) whole() {
	if !fastViews {
		v.v = v.base
		return
	}
	nd := len(v.bshape)
	copy(v.shape, v.bshape)
	copy(v.strides, v.bstride)
	v.set(0, nd)
}
