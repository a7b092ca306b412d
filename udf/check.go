package udf

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
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
func Check(u UDF) error { return check(0, u) }

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
