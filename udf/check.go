package udf

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"unsafe"

	"github.com/stemflow/stemflow/array"
)

// ErrNearMiss: a UDF has a method whose name matches a contract method
// case-insensitively but whose name or signature differs, so the engine would
// silently ignore it (PostProcess, Merge without *Meta, Preprocess without error).
var ErrNearMiss = errors.New("udf: method does not match the contract")

// contract lists every method the engine looks for, with the interface that holds it
// and its expected signature as written in Go.
var contract = []struct {
	name  string
	iface reflect.Type
	sig   string
}{
	{"ResultBuffers", reflect.TypeFor[UDF](), "ResultBuffers(m *udf.Meta) []udf.BufferSpec"},
	{"ProcessTile", reflect.TypeFor[TileProcessor](), "ProcessTile(env *udf.Env, tile array.Array) error"},
	{"ProcessFrame", reflect.TypeFor[FrameProcessor](), "ProcessFrame(env *udf.Env, frame array.Array) error"},
	{"ProcessPartition", reflect.TypeFor[PartitionProcessor](), "ProcessPartition(env *udf.Env, partition array.Array) error"},
	{"Method", reflect.TypeFor[MethodChooser](), "Method(m *udf.Meta) udf.Method"},
	{"TaskData", reflect.TypeFor[TaskDataMaker](), "TaskData(env *udf.Env) (any, error)"},
	{"Preprocess", reflect.TypeFor[Preprocessor](), "Preprocess(env *udf.Env) error"},
	{"Postprocess", reflect.TypeFor[Postprocessor](), "Postprocess(env *udf.Env) error"},
	{"Cleanup", reflect.TypeFor[Cleaner](), "Cleanup(env *udf.Env) error"},
	{"Merge", reflect.TypeFor[Merger](), "Merge(dest, src *udf.Views, m *udf.Meta) error"},
	{"MergeAll", reflect.TypeFor[AllMerger](), "MergeAll(parts []udf.Partial, m *udf.Meta) (map[string]array.Array, error)"},
	{"Results", reflect.TypeFor[ResultsGetter](), "Results(env *udf.Env) (map[string]array.Array, error)"},
	{"PreferredInputDType", reflect.TypeFor[InputDTyper](), "PreferredInputDType() array.DType"},
	{"TilingPreferences", reflect.TypeFor[TilingPreferrer](), "TilingPreferences(m *udf.Meta) udf.TilingPrefs"},
	{"Backends", reflect.TypeFor[BackendLister](), "Backends() []backends.Backend"},
	{"AuxData", reflect.TypeFor[AuxProvider](), "AuxData() []*udf.AuxData"},
	{"EndRun", reflect.TypeFor[RunEnder](), "EndRun(m *udf.Meta, err error)"},
}

// Check reports, before any data is read, contract mistakes the engine would
// otherwise ignore silently: a method whose name matches a contract method
// case-insensitively but whose spelling or signature differs (PostProcess, Merge
// without *Meta, Preprocess without an error result), a contract method declared on
// the pointer type while the UDF is passed by value, and a UDF without any process
// method. The error (ErrNearMiss or ErrNoProcessMethod) names the UDF, the method and
// the expected signature. Run, RunIter, RunLazy and DryRun call it for every UDF; a
// result_only buffer without Results is also found there before any data is read.
//
// Check also verifies the typed buffer handles (Buf) held in the UDF's fields —
// exported or not, in embedded and nested structs, through a pointer UDF — against
// ResultBuffers: a handle whose name is not declared (ErrUndeclaredBuffer), one
// declared with another kind or dtype (ErrBufferMismatch) and a zero handle
// (ErrBadDeclaration) are errors naming the UDF, the buffer and the field. Check
// alone has no dataset, so it calls ResultBuffers (only when the UDF has handle
// fields) with a probe Meta: a 1×1 scan of 16×16 float32 frames; if ResultBuffers
// panics on it, the comparison is left to Run, which repeats it with the run's Meta.
//
// What Check cannot see: handles in package variables, in maps, slices or behind
// pointer fields, and handles made inside methods, and positional views (View, F32,
// Env.Buffer). Accessing an undeclared or mistyped buffer that way is caught at the
// first access during the run: the accessor records a *BufferError (naming the buffer
// and the file:line of the access), returns an empty array instead of nil, and the
// engine fails the run with it — wrapped in a *UDFError naming the UDF, partition and
// method — right after the call, in place of any panic the empty array caused.
func Check(u UDF) error {
	if err := check(0, u); err != nil {
		return err
	}
	hs := fieldHandles(u)
	if len(hs) == 0 {
		return nil
	}
	specs, ok := probeSpecs(u)
	if !ok {
		return nil
	}
	return checkHandles(0, u, hs, specs)
}

// fieldHandle is a handle found in a UDF's fields.
type fieldHandle struct {
	field string // Go path of the field: "count", "bufs.Hits"
	spec  BufferSpec
}

var handleType = reflect.TypeFor[bufHandle]()

// fieldHandles returns the Buf values in u's struct fields (see Check).
func fieldHandles(u UDF) []fieldHandle {
	v := reflect.ValueOf(u)
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return nil
		}
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return nil
	}
	if !v.CanAddr() {
		c := reflect.New(v.Type()).Elem() // addressable, so unexported fields can be read
		c.Set(v)
		v = c
	}
	var out []fieldHandle
	var walk func(v reflect.Value, path string, depth int)
	walk = func(v reflect.Value, path string, depth int) {
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			fv := v.Field(i)
			name := path + f.Name
			switch {
			case f.Type.Implements(handleType):
				h := reflect.NewAt(f.Type, unsafe.Pointer(fv.UnsafeAddr())).Elem().Interface().(bufHandle)
				out = append(out, fieldHandle{field: name, spec: h.handle()})
			case f.Type.Kind() == reflect.Struct && depth < 4:
				walk(fv, name+".", depth+1)
			}
		}
	}
	walk(v, "", 0)
	return out
}

// probeSpecs calls ResultBuffers with a probe Meta (see Check); ok is false when it
// panics.
func probeSpecs(u UDF) (specs []BufferSpec, ok bool) {
	defer func() {
		if recover() != nil {
			specs, ok = nil, false
		}
	}()
	m := &Meta{DatasetShape: array.NewShape([]int{1, 1, 16, 16}, 2), DatasetDType: array.Float32,
		InputDType: array.Float32, DeviceClass: "cpu", Partition: -1}
	return u.ResultBuffers(m), true
}

// checkHandles compares the handles in u's fields with its declarations.
func checkHandles(idx int, u UDF, hs []fieldHandle, specs []BufferSpec) error {
	var errs []error
	for _, h := range hs {
		if h.spec.Name == "" {
			errs = append(errs, errorf(ErrBadDeclaration, u, idx, "field %s is a zero udf.Buf: make it with udf.NavBuf, udf.SigBuf or udf.SingleBuf", h.field))
			continue
		}
		j := slices.IndexFunc(specs, func(s BufferSpec) bool { return s.Name == h.spec.Name })
		switch {
		case j < 0:
			names := make([]string, len(specs))
			for k, s := range specs {
				names[k] = s.Name
			}
			errs = append(errs, errorf(ErrUndeclaredBuffer, u, idx, "field %s: %s is not declared by ResultBuffers, which declares %s", h.field, describe(h.spec), strings.Join(quoted(names), ", ")))
		case specs[j].Kind != h.spec.Kind || specs[j].dtype() != h.spec.dtype():
			errs = append(errs, errorf(ErrBufferMismatch, u, idx, "field %s: %s, but ResultBuffers declares %s", h.field, describe(h.spec), describe(specs[j])))
		}
	}
	return errors.Join(errs...)
}

func check(idx int, u UDF) error {
	if u == nil {
		return fmt.Errorf("%w: udf %d is nil", ErrBadDeclaration, idx)
	}
	t := reflect.TypeOf(u)
	var errs []error
	seen := map[string]bool{}
	look := func(typ reflect.Type, viaPointer bool) {
		for i := 0; i < typ.NumMethod(); i++ {
			m := typ.Method(i)
			if seen[m.Name] {
				continue
			}
			for _, c := range contract {
				if !strings.EqualFold(m.Name, c.name) {
					continue
				}
				seen[m.Name] = true
				switch {
				case m.Name != c.name:
					errs = append(errs, errorf(ErrNearMiss, u, idx, "method %s is not %s, which the engine calls: want %s", m.Name, c.name, c.sig))
				case viaPointer && !t.Implements(c.iface):
					if reflect.PointerTo(t).Implements(c.iface) {
						errs = append(errs, errorf(ErrNearMiss, u, idx, "method %s has a pointer receiver but the UDF is passed as a %v value: pass a pointer", m.Name, t))
					}
				case !viaPointer && !t.Implements(c.iface):
					errs = append(errs, errorf(ErrNearMiss, u, idx, "method %s has the signature %v: want %s", m.Name, m.Type, c.sig))
				}
			}
		}
	}
	look(t, false)
	if t.Kind() != reflect.Pointer {
		look(reflect.PointerTo(t), true)
	}
	if _, ok := defaultMethod(u); !ok {
		errs = append(errs, errorf(ErrNoProcessMethod, u, idx, "no process method: want %s, %s or %s", contract[1].sig, contract[2].sig, contract[3].sig))
	}
	return errors.Join(errs...)
}
