package udf

import (
	"fmt"

	"github.com/stemflow/stemflow/array"
)

// view is a reusable window on a base dense array whose header the engine re-points
// per tile and frame: one *array.Dense (stable pointer) is rewritten in place with
// array.Dense.SetView from shapes and strides precomputed per base, so re-pointing
// allocates nothing.
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

// newView implements ops.
func (t typed[T]) newView() view {
	v := &denseView[T]{v: &array.Dense[T]{}}
	v.setBase(t.d)
	v.whole()
	return v
}

type denseView[T any] struct {
	base *array.Dense[T]
	v    *array.Dense[T]
	// bshape and bstride are the base's shape and strides; rowShape and rowStride
	// those of a row (axis 0 dropped; (1,) and (1,) for a 1-d base); rowsShape and
	// boxShape are scratch for rows and box.
	bshape, bstride     []int
	rowShape, rowStride []int
	rowsShape, boxShape []int
	// one backs rowShape and rowStride ((1,) and (1,)) for a 1-d base
	one [2]int
}

func (v *denseView[T]) current() array.Array { return v.v }

// setBase re-points the view at b. It runs once per tile for frame views, so it
// reads the base's layout with Dim and Stride (Shape and Strides copy) into the
// view's own slices, which are reused: it allocates nothing once they have grown to
// the base's rank.
func (v *denseView[T]) setBase(b array.Array) {
	v.base = b.(*array.Dense[T])
	// keep the base's dtype (a byte-string width) on the view header
	v.base.SliceInto(v.v)
	n := v.base.NDim()
	v.bshape, v.bstride = v.bshape[:0], v.bstride[:0]
	for i := range n {
		v.bshape = append(v.bshape, v.base.Dim(i))
		v.bstride = append(v.bstride, v.base.Stride(i))
	}
	v.rowsShape = append(v.rowsShape[:0], v.bshape...)
	v.boxShape = append(v.boxShape[:0], v.bshape...)
	switch n {
	case 0:
		v.rowShape, v.rowStride = nil, nil
	case 1:
		v.one = [2]int{1, 1}
		v.rowShape, v.rowStride = v.one[0:1:1], v.one[1:2:2]
	default:
		v.rowShape, v.rowStride = v.bshape[1:], v.bstride[1:]
	}
}

func (v *denseView[T]) rows(lo, n int) {
	if lo < 0 || n < 0 || lo+n > v.bshape[0] {
		panic(fmt.Sprintf("udf: rows [%d, %d) of an axis of extent %d", lo, lo+n, v.bshape[0]))
	}
	v.rowsShape[0] = n
	v.v.SetView(v.base.Data(), v.base.Offset()+lo*v.bstride[0], v.rowsShape, v.bstride)
}

func (v *denseView[T]) row(i int) {
	if i < 0 || i >= v.bshape[0] {
		panic(fmt.Sprintf("udf: row %d of an axis of extent %d", i, v.bshape[0]))
	}
	v.v.SetView(v.base.Data(), v.base.Offset()+i*v.bstride[0], v.rowShape, v.rowStride)
}

func (v *denseView[T]) box(r []array.Range) {
	off := v.base.Offset()
	copy(v.boxShape, v.bshape)
	for i, rg := range r {
		if rg.Start < 0 || rg.Start > rg.Stop || rg.Stop > v.bshape[i] {
			panic(fmt.Sprintf("udf: range [%d, %d) on axis %d of extent %d", rg.Start, rg.Stop, i, v.bshape[i]))
		}
		v.boxShape[i] = rg.Stop - rg.Start
		off += rg.Start * v.bstride[i]
	}
	v.v.SetView(v.base.Data(), off, v.boxShape, v.bstride)
}

func (v *denseView[T]) whole() {
	v.v.SetView(v.base.Data(), v.base.Offset(), v.bshape, v.bstride)
}
