package udf

import (
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

// Buffer returns the current view of the named buffer, or nil when it is not declared
// or has no data here.
func (e *Env) Buffer(name string) array.Array {
	if i, ok := e.index[name]; ok {
		return e.views[i]
	}
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

// View returns buffer i of v as a typed dense view, or nil when the buffer has no data
// there or its element type is not T. The pointer and its contents are valid for the
// current call only (the engine re-points views between tiles and frames); fetch it at
// the start of each call, which costs an interface call and a type assertion.
func View[T any](v Viewer, i int) *array.Dense[T] {
	d, _ := v.At(i).(*array.Dense[T])
	return d
}

// F32 is View[float32].
func F32(v Viewer, i int) *array.Dense[float32] { return View[float32](v, i) }

// F64 is View[float64].
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

// Get returns the named buffer, or nil when it is absent.
func (v *Views) Get(name string) array.Array {
	if i, ok := v.index[name]; ok {
		return v.arrs[i]
	}
	return nil
}

// Has reports whether the named buffer is present (declared and holding data).
func (v *Views) Has(name string) bool { return v.Get(name) != nil }

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
