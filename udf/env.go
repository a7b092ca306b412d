package udf

import (
	"fmt"

	"github.com/stemflow/stemflow/array"
)

// Viewer gives buffer views by index (the order of ResultBuffers). *Env and *Views
// implement it, so View and F32 serve processing, Merge and Results alike.
type Viewer interface {
	// At returns the current view of buffer i, or nil where the buffer has no data
	// (result-only buffers outside Results). It panics if i is out of range.
	At(i int) array.Array
}

// Env is the per-task state of one UDF: the Meta, the current buffer views, the task
// data and the aux-data views. The engine creates one per UDF per task (and one per UDF
// on the main node) and updates its views in place as it moves over tiles and frames.
// Methods of Env do not allocate.
type Env struct {
	// Meta describes the run and the current unit of work.
	Meta *Meta

	specs    []BufferSpec
	index    map[string]int
	views    []array.Array
	taskData any
	aux      []*AuxData
	auxViews []array.Array
	err      *BufferError // the first failed buffer access (see Err)
}

// Err returns the first failed buffer access of this Env (a *BufferError from a
// handle's View, from View, F32, F64 or from Buffer), or nil. The engine checks it after
// every call into the UDF and fails the run with it.
func (e *Env) Err() error {
	if e.err == nil {
		return nil
	}
	return e.err
}

// At returns the current view of buffer i (see Viewer).
func (e *Env) At(i int) array.Array { return e.views[i] }

// Index returns the position of the named buffer in the ResultBuffers order, or -1
// when no buffer has that name. Resolve names once, not per frame.
func (e *Env) Index(name string) int {
	if i, ok := e.index[name]; ok {
		return i
	}
	return -1
}

// Buffer returns the current view of the named buffer, or nil when it has no data
// here (a result_only buffer before Results). A name that is not declared records a
// *BufferError (ErrUndeclaredBuffer) that fails the UDF's call, as a handle's View
// does, and returns nil. Prefer typed handles (Buf).
func (e *Env) Buffer(name string) array.Array {
	if i, ok := e.index[name]; ok {
		return e.views[i]
	}
	fail(e, accessError(fmt.Sprintf("buffer %q", name), name, 0, array.DType{}, e.specs, -1, nil))
	return nil
}

// Specs returns the declarations the engine resolved for this UDF, in order. Do not
// modify the returned slice.
func (e *Env) Specs() []BufferSpec { return e.specs }

// TaskData returns the value TaskData returned for this task (nil if none, and on the
// main node).
func (e *Env) TaskData() any { return e.taskData }

// Aux returns the current view of aux data a (as listed by AuxData): the rows of the
// current tile, frame or partition; nil if a is not one of the UDF's aux data.
func (e *Env) Aux(a *AuxData) array.Array {
	for i, x := range e.aux {
		if x == a {
			return e.auxViews[i]
		}
	}
	return nil
}

// View returns buffer i (in the ResultBuffers order) of v as a typed dense view. The
// pointer and its contents are valid for the current call only (the engine re-points
// views between tiles and frames); fetch it at the start of each call, which costs a
// type switch and a type assertion and allocates nothing.
//
// It never returns nil: when i is out of range, the buffer's element type is not T or
// it has no data there (a result_only buffer before Results), it records a
// *BufferError on the *Env or *Views that fails the UDF's call (the engine reports it,
// naming the UDF, the buffer and the file:line of the access) and returns an empty
// array. To test whether a buffer has data, use v.At(i) != nil. Typed handles (Buf)
// name the buffer and its dtype once instead of an index here and a dtype there.
func View[T any](v Viewer, i int) *array.Dense[T] {
	var specs []BufferSpec
	var arr array.Array
	switch x := v.(type) {
	case *Env:
		specs = x.specs
		if i >= 0 && i < len(x.views) {
			arr = x.views[i]
		}
	case *Views:
		specs = x.specs
		if i >= 0 && i < len(x.arrs) {
			arr = x.arrs[i]
		}
	default:
		d, _ := v.At(i).(*array.Dense[T])
		return d
	}
	if d, ok := arr.(*array.Dense[T]); ok && d != nil {
		return d
	}
	dt := array.DTypeOf[T]()
	if i < 0 || i >= len(specs) {
		fail(v, &BufferError{Handle: fmt.Sprintf("buffer %d of %v", i, dt), Err: fmt.Errorf("%w: index out of range, %d buffers declared", ErrUndeclaredBuffer, len(specs))})
	} else {
		fail(v, accessError(fmt.Sprintf("buffer %d (%q) viewed as %v", i, specs[i].Name, dt), specs[i].Name, 0, dt, specs, i, arr))
	}
	return array.Zeros[T](0)
}

// F32 is View[float32] (see View: never nil).
func F32(v Viewer, i int) *array.Dense[float32] { return View[float32](v, i) }

// F64 is View[float64] (see View: never nil).
func F64(v Viewer, i int) *array.Dense[float64] { return View[float64](v, i) }

// AuxView returns the current view of aux data a as a typed dense view (see View).
func AuxView[T any](e *Env, a *AuxData) *array.Dense[T] {
	d, _ := e.Aux(a).(*array.Dense[T])
	return d
}

// Views are named buffer arrays outside processing: Merge's dest and src and each
// MergeAll partial. Result-only buffers are absent (At returns nil, Has false).
type Views struct {
	specs []BufferSpec
	index map[string]int
	arrs  []array.Array
	err   *BufferError // the first failed buffer access (see Err)
}

// Err returns the first failed buffer access on v (see Env.Err), or nil.
func (v *Views) Err() error {
	if v.err == nil {
		return nil
	}
	return v.err
}

// At returns buffer i (see Viewer).
func (v *Views) At(i int) array.Array { return v.arrs[i] }

// Index returns the position of the named buffer, or -1.
func (v *Views) Index(name string) int {
	if i, ok := v.index[name]; ok {
		return i
	}
	return -1
}

// Get returns the named buffer, or nil when it is absent (a result_only buffer). A
// name that is not declared records a *BufferError (ErrUndeclaredBuffer) that fails
// the UDF's call, as a handle's View does, and returns nil. Prefer typed handles
// (Buf); Has tests for a buffer without recording anything.
func (v *Views) Get(name string) array.Array {
	if i, ok := v.index[name]; ok {
		return v.arrs[i]
	}
	fail(v, accessError(fmt.Sprintf("buffer %q", name), name, 0, array.DType{}, v.specs, -1, nil))
	return nil
}

// Has reports whether the named buffer is present (declared and holding data).
func (v *Views) Has(name string) bool {
	i, ok := v.index[name]
	return ok && v.arrs[i] != nil
}

// Names returns the names of the present buffers in declaration order.
func (v *Views) Names() []string {
	var out []string
	for i, s := range v.specs {
		if v.arrs[i] != nil {
			out = append(out, s.Name)
		}
	}
	return out
}

// Len returns the number of declared buffers (present or not).
func (v *Views) Len() int { return len(v.arrs) }
