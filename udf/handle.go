package udf

import (
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"github.com/stemflow/stemflow/array"
)

// Errors of typed buffer access (see Buf). The engine reports them as a *BufferError
// inside a *UDFError; ErrUndeclaredBuffer (a name ResultBuffers did not declare) is the
// third.
var (
	// ErrBufferMismatch: a buffer was accessed with a handle (or a positional view)
	// whose element type or kind differs from the buffer's declaration.
	ErrBufferMismatch = errors.New("udf: buffer accessed as another dtype or kind than declared")
	// ErrNoBufferData: a buffer was accessed where it holds no data: a result_only
	// buffer before Results (processing, Merge, MergeAll).
	ErrNoBufferData = errors.New("udf: buffer has no data here")
)

// Elem lists the element types a typed buffer may have: those of the fixed-size
// dtypes, whose arrays array.New makes as *array.Dense[T].
type Elem interface {
	bool | int8 | int16 | int32 | int64 | uint8 | uint16 | uint32 | uint64 |
		float32 | float64 | complex64 | complex128
}

// Buf is a typed handle to one result buffer: its name, kind, extra shape and use,
// and its element type T, declared once and used everywhere, so the dtype and the name
// of a buffer cannot disagree between ResultBuffers, processing, merging and the
// results:
//
//	var count = udf.NavBuf[float32]("count")
//
//	func (Bright) ResultBuffers(*udf.Meta) []udf.BufferSpec { return udf.Declare(count, hits) }
//
//	func (Bright) ProcessFrame(env *udf.Env, frame array.Array) error {
//		c := count.View(env) // *array.Dense[float32], never nil
//		...
//	}
//
//	n, err := count.Get(res) // after the run: the typed data, or an error
//
// A Buf is a small value, safe to copy and to share between goroutines. Handles live
// in package variables or in the UDF's fields; Check verifies the ones in fields
// against ResultBuffers before any data is read (see Check). The zero Buf has no name
// and is reported by Check.
type Buf[T Elem] struct {
	spec BufferSpec
}

// NavBuf returns a handle to a kind-nav buffer of element type T (one entry of shape
// extra per navigation position).
func NavBuf[T Elem](name string, extra ...int) Buf[T] {
	return Buf[T]{spec: BufferSpec{Name: name, Kind: KindNav, DType: array.DTypeOf[T](), ExtraShape: extra}}
}

// SigBuf returns a handle to a kind-sig buffer of element type T (shape sig+extra).
func SigBuf[T Elem](name string, extra ...int) Buf[T] {
	return Buf[T]{spec: BufferSpec{Name: name, Kind: KindSig, DType: array.DTypeOf[T](), ExtraShape: extra}}
}

// SingleBuf returns a handle to a kind-single buffer of element type T (shape extra,
// or (1,) if extra is empty).
func SingleBuf[T Elem](name string, extra ...int) Buf[T] {
	return Buf[T]{spec: BufferSpec{Name: name, Kind: KindSingle, DType: array.DTypeOf[T](), ExtraShape: extra}}
}

// Private returns a copy of b declared UsePrivate.
func (b Buf[T]) Private() Buf[T] { b.spec = b.spec.Private(); return b }

// ResultOnly returns a copy of b declared UseResultOnly.
func (b Buf[T]) ResultOnly() Buf[T] { b.spec = b.spec.ResultOnly(); return b }

// OnDevice returns a copy of b declared WhereDevice.
func (b Buf[T]) OnDevice() Buf[T] { b.spec = b.spec.OnDevice(); return b }

// WithExtra returns a copy of b with extra shape extra: for extents known only from
// the Meta, in ResultBuffers. Check compares kind, dtype and use, not extra shape.
func (b Buf[T]) WithExtra(extra ...int) Buf[T] { b.spec.ExtraShape = extra; return b }

// Name returns the buffer's name: its key in the map Results returns.
func (b Buf[T]) Name() string { return b.spec.Name }

// Spec returns the buffer's declaration, for ResultBuffers.
func (b Buf[T]) Spec() BufferSpec {
	s := b.spec
	s.ExtraShape = append([]int(nil), s.ExtraShape...)
	return s
}

// String describes the handle: `nav buffer "count" of float32`.
func (b Buf[T]) String() string { return describe(b.spec) }

func describe(s BufferSpec) string {
	return fmt.Sprintf("%v buffer %q of %v", s.Kind, s.Name, s.dtype())
}

// handle is what Check finds in a UDF's fields.
func (b Buf[T]) handle() BufferSpec { return b.spec }

type bufHandle interface{ handle() BufferSpec }

// Decl is a buffer declaration: a BufferSpec or a typed handle (Buf).
type Decl interface {
	Spec() BufferSpec
}

// Spec returns b itself, so a BufferSpec is a Decl.
func (b BufferSpec) Spec() BufferSpec { return b }

// Declare returns the declarations of ds in order, for ResultBuffers:
//
//	func (Bright) ResultBuffers(*udf.Meta) []udf.BufferSpec { return udf.Declare(count, hits) }
func Declare(ds ...Decl) []BufferSpec {
	out := make([]BufferSpec, len(ds))
	for i, d := range ds {
		out[i] = d.Spec()
	}
	return out
}

// View returns the buffer's current view in v (the *Env of processing, Preprocess,
// Postprocess and Results, or Merge's *Views) as a dense array of T. It never returns
// nil: when the buffer is not declared, is declared with another dtype or kind, or has
// no data there (a result_only buffer before Results), it records a *BufferError that
// fails the UDF's call — the engine reports it, naming the UDF, the buffer and the
// file:line of the access, in place of whatever the code did next — and returns an
// empty array. It allocates nothing on success; the view is valid during the current
// call only.
func (b Buf[T]) View(v Viewer) *array.Dense[T] {
	d, err := b.lookup(v)
	if err != nil {
		fail(v, err)
		return array.Zeros[T](0)
	}
	return d
}

// Lookup is View returning the error instead of recording it.
func (b Buf[T]) Lookup(v Viewer) (*array.Dense[T], error) {
	d, err := b.lookup(v)
	if err != nil {
		err.At = caller()
		return nil, err
	}
	return d, nil
}

func (b Buf[T]) lookup(v Viewer) (*array.Dense[T], *BufferError) {
	var specs []BufferSpec
	var arr array.Array
	i := -1
	switch x := v.(type) {
	case *Env:
		specs = x.specs
		if i = find(specs, x.index, b.spec.Name); i >= 0 {
			arr = x.views[i]
		}
	case *Views:
		specs = x.specs
		if i = find(specs, x.index, b.spec.Name); i >= 0 {
			arr = x.arrs[i]
		}
	default:
		return nil, &BufferError{Buffer: b.spec.Name, Handle: describe(b.spec), Err: fmt.Errorf("%w: viewer %T is not an *udf.Env or *udf.Views", ErrUndeclaredBuffer, v)}
	}
	if i >= 0 && specs[i].Kind == b.spec.Kind {
		if d, ok := arr.(*array.Dense[T]); ok && d != nil {
			return d, nil
		}
	}
	return nil, accessError(describe(b.spec), b.spec.Name, b.spec.Kind, b.spec.dtype(), specs, i, arr)
}

// find returns the index of the buffer named name, or -1: a scan for a few buffers
// (equal names usually share their bytes, so the comparison is short), the index map
// beyond.
func find(specs []BufferSpec, index map[string]int, name string) int {
	if len(specs) <= 8 {
		for i := range specs {
			if specs[i].Name == name {
				return i
			}
		}
		return -1
	}
	if i, ok := index[name]; ok {
		return i
	}
	return -1
}

// accessError explains why buffer name (declaration index i, -1 if undeclared, view
// arr) cannot be viewed as want.
func accessError(handle, name string, kind BufferKind, dt array.DType, specs []BufferSpec, i int, arr array.Array) *BufferError {
	e := &BufferError{Buffer: name, Handle: handle}
	switch {
	case i < 0:
		names := make([]string, len(specs))
		for j, s := range specs {
			names[j] = s.Name
		}
		e.Err = fmt.Errorf("%w: ResultBuffers declares %s", ErrUndeclaredBuffer, strings.Join(quoted(names), ", "))
		if len(names) == 0 {
			e.Err = fmt.Errorf("%w: ResultBuffers declares no buffers", ErrUndeclaredBuffer)
		}
	case kind != 0 && specs[i].Kind != kind || specs[i].dtype() != dt:
		e.Declared = describe(specs[i])
		e.Err = ErrBufferMismatch
	case arr == nil || isNil(arr):
		e.Declared = describe(specs[i])
		e.Err = fmt.Errorf("%w: it is %s (no data before Results)", ErrNoBufferData, specs[i].Use)
	default:
		e.Declared = describe(specs[i])
		e.Err = fmt.Errorf("%w: its view is %v %v", ErrBufferMismatch, arr.DType(), arr.Format())
	}
	return e
}

func quoted(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}

// Get returns the buffer's data in r (ResultBuffer.Data: nav buffers nav-shaped,
// with the fill value outside the ROI) as a dense array of T, or an error naming the
// UDF, the buffer and the dtype it has (Results may return another dtype of the
// declared kind; read such a buffer with Result.Get).
func (b Buf[T]) Get(r *Result) (*array.Dense[T], error) {
	rb, err := b.result(r)
	if err != nil {
		return nil, err
	}
	return b.typed(r, rb.Data())
}

// GetRaw is Get for ResultBuffer.RawData (nav buffers flat and ROI-compressed).
func (b Buf[T]) GetRaw(r *Result) (*array.Dense[T], error) {
	rb, err := b.result(r)
	if err != nil {
		return nil, err
	}
	return b.typed(r, rb.RawData())
}

func (b Buf[T]) result(r *Result) (*ResultBuffer, error) {
	if r == nil {
		return nil, &BufferError{Buffer: b.spec.Name, Handle: describe(b.spec), Err: fmt.Errorf("%w: nil *udf.Result", ErrUndeclaredBuffer)}
	}
	rb := r.Get(b.spec.Name)
	if rb == nil {
		return nil, resultErr(r, &BufferError{Buffer: b.spec.Name, Handle: describe(b.spec),
			Err: fmt.Errorf("%w: the results hold %s (private and undeclared buffers are never returned)", ErrUndeclaredBuffer, strings.Join(quoted(r.Names()), ", "))})
	}
	if rb.spec.Kind != b.spec.Kind {
		return nil, resultErr(r, &BufferError{Buffer: b.spec.Name, Handle: describe(b.spec), Declared: describe(rb.spec), Err: ErrBufferMismatch})
	}
	return rb, nil
}

func (b Buf[T]) typed(r *Result, a array.Array) (*array.Dense[T], error) {
	if d, ok := a.(*array.Dense[T]); ok && d != nil {
		return d, nil
	}
	s := r.Get(b.spec.Name).spec
	return nil, resultErr(r, &BufferError{Buffer: b.spec.Name, Handle: describe(b.spec), Declared: describe(s),
		Err: fmt.Errorf("%w: the result is %v %v", ErrBufferMismatch, a.DType(), a.Format())})
}

func resultErr(r *Result, e *BufferError) error {
	if r.UDF == nil {
		return e
	}
	return &UDFError{UDF: udfName(r.UDF), Index: -1, Partition: -1, Err: e}
}

// BufferError is a failed buffer access: by a handle (Buf) or a positional view (View,
// F32, F64) in the UDF's code, or by a handle's Get on the results. The engine wraps
// it in a *UDFError naming the UDF; errors.Is finds ErrUndeclaredBuffer,
// ErrBufferMismatch or ErrNoBufferData.
type BufferError struct {
	// Buffer is the buffer's name ("" for a positional access out of range).
	Buffer string
	// Handle describes the access: `nav buffer "count" of float32`.
	Handle string
	// Declared describes the declaration by that name, "" when there is none.
	Declared string
	// At is the file:line (and function) of the access in the UDF's code, when known.
	At string
	// Err is the sentinel, possibly with detail.
	Err error
}

// Error implements error.
func (e *BufferError) Error() string {
	var b strings.Builder
	b.WriteString(e.Handle)
	if e.At != "" {
		b.WriteString(" accessed at ")
		b.WriteString(e.At)
	}
	if e.Declared != "" {
		b.WriteString(", declared as ")
		b.WriteString(e.Declared)
	}
	b.WriteString(": ")
	b.WriteString(e.Err.Error())
	return b.String()
}

// Unwrap returns the sentinel.
func (e *BufferError) Unwrap() error { return e.Err }

// fail records a failed access on v (the first one counts) with the caller's
// location.
func fail(v Viewer, err *BufferError) {
	switch x := v.(type) {
	case *Env:
		if x.err == nil {
			err.At = caller()
			x.err = err
		}
	case *Views:
		if x.err == nil {
			err.At = caller()
			x.err = err
		}
	}
}

// udfDir is the directory of this package's source, whose non-test frames caller
// skips. It is looked up at first use: runtime.Caller at package initialisation
// cost every process a walk of the symbol table's file names.
var udfDir = sync.OnceValue(func() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(file)
})

// caller returns "file.go:line (function)" of the first frame outside this package's
// non-test sources: the UDF code that made the access.
func caller() string {
	pcs := make([]uintptr, 16)
	n := runtime.Callers(2, pcs)
	frames := runtime.CallersFrames(pcs[:n])
	for {
		f, more := frames.Next()
		if filepath.Dir(f.File) != udfDir() || strings.HasSuffix(f.File, "_test.go") {
			fn := f.Function
			if i := strings.LastIndex(fn, "/"); i >= 0 {
				fn = fn[i+1:]
			}
			return fmt.Sprintf("%s:%d (%s)", filepath.Base(f.File), f.Line, fn)
		}
		if !more {
			return ""
		}
	}
}
