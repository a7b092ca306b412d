package udf

import (
	"fmt"
	"reflect"
	"slices"

	"github.com/stemflow/stemflow/array"
)

// acc is one UDF's dataset-level state on the main node: the raw buffers (flat nav,
// ROI-compressed) that merges write into. A merge chain owns it and mutates it in
// place; every Compute of a run starts from a fresh acc.
type acc struct {
	ur   *udfRun
	bufs []array.Array
}

// newAcc allocates one UDF's zero buffers and runs its main-node Preprocess.
func (r *run) newAcc(ur *udfRun) (*acc, error) {
	a := &acc{ur: ur, bufs: make([]array.Array, len(ur.specs))}
	for j, s := range ur.specs {
		if s.Use == UseResultOnly {
			continue // no data before Results: its view is nil (as in the reference)
		}
		a.bufs[j] = array.New(s.DType, s.Shape(r.navRows, r.sig)...)
	}
	if pp, ok := ur.u.(Preprocessor); ok {
		env := r.mainEnv(a, nil, false)
		if err := accessFirst(callSafe(func() error { return pp.Preprocess(env) }), env.err); err != nil {
			return nil, r.mainErr(ur, "Preprocess", err)
		}
	}
	return a, nil
}

// mainEnv returns an Env over the whole dataset-level buffers.
func (r *run) mainEnv(a *acc, damage []bool, valid bool) *Env {
	m := r.meta.clone()
	m.validNav, m.haveValid = damage, valid
	env := &Env{Meta: m, specs: a.ur.specs, index: a.ur.index, views: slices.Clone(a.bufs)}
	for _, x := range a.ur.aux {
		env.aux = append(env.aux, x)
		if r.roi == nil {
			c := array.New(x.data.DType(), x.data.Shape()...) // a copy, never the caller's array
			if err := opsOf(c).copyFrom(x.data); err != nil {
				panic(err) // same dtype and shape by construction
			}
			env.auxViews = append(env.auxViews, c)
		} else {
			env.auxViews = append(env.auxViews, gatherRows(x.data, roiIndex(r.roi)))
		}
	}
	return env
}

// accessFirst returns the failed buffer access be when there is one (it caused whatever
// error or panic followed), else err.
func accessFirst(err error, be *BufferError) error {
	if be != nil {
		return be
	}
	return err
}

func (r *run) mainErr(ur *udfRun, method string, err error) error {
	return &UDFError{UDF: ur.name, Index: ur.idx, Partition: -1, Method: method, Err: err}
}

// damageBefore returns the flat, ROI-compressed damage after merging the first k tasks.
func (r *run) damageBefore(k int) []bool {
	d := make([]bool, r.navRows)
	for _, t := range r.tasks[:k] {
		for i := t.lo; i < t.lo+t.n; i++ {
			d[i] = true
		}
	}
	return d
}

// partViews wraps task ti's buffers of UDF ur.
func partViews(ur *udfRun, bufs []array.Array) *Views {
	return &Views{specs: ur.specs, index: ur.index, arrs: bufs}
}

// mergeStep merges task ti's partial into a (Merge or the default nav merge).
func (r *run) mergeStep(a *acc, ti int, bufs []array.Array) error {
	ur := a.ur
	tk := r.tasks[ti]
	dest := make([]array.Array, len(ur.specs))
	for j, s := range ur.specs {
		if s.Use == UseResultOnly {
			continue
		}
		if s.Kind == KindNav {
			dest[j] = opsOf(a.bufs[j]).rows(tk.lo, tk.lo+tk.n)
		} else {
			dest[j] = a.bufs[j]
		}
	}
	if mg, ok := ur.u.(Merger); ok {
		m := r.meta.clone()
		m.validNav, m.haveValid = r.damageBefore(ti), true
		dv, sv := partViews(ur, dest), partViews(ur, bufs)
		err := accessFirst(accessFirst(callSafe(func() error { return mg.Merge(dv, sv, m) }), sv.err), dv.err)
		if err != nil {
			return &UDFError{UDF: ur.name, Index: ur.idx, Partition: tk.part.Index, Method: "Merge", Err: err}
		}
		return nil
	}
	for j, s := range ur.specs {
		if s.Use == UseResultOnly {
			continue
		}
		if s.Kind != KindNav {
			return errorf(ErrCustomMergeRequired, ur.u, ur.idx, "buffer %q is kind %v", s.Name, s.Kind)
		}
		if !array.CanCast(bufs[j].DType(), dest[j].DType()) {
			return errorf(ErrUnsafeCast, ur.u, ur.idx, "buffer %q: %v to %v", s.Name, bufs[j].DType(), dest[j].DType())
		}
		if err := copyCast(dest[j], bufs[j]); err != nil {
			return fmt.Errorf("udf %d (%s): merge buffer %q: %w", ur.idx, ur.name, s.Name, err)
		}
	}
	return nil
}

// mergeAll merges all partials at once with the UDF's MergeAll.
func (r *run) mergeAll(a *acc, parts []partialRef) error {
	ur := a.ur
	ma := ur.u.(AllMerger)
	ps := make([]Partial, len(parts))
	for i, p := range parts {
		tk := r.tasks[p.task]
		ps[i] = Partial{Index: tk.part.Index, Slice: tk.slice, Buffers: partViews(ur, p.bufs)}
	}
	m := r.meta.clone()
	m.validNav, m.haveValid = r.damageBefore(len(r.tasks)), true
	var res map[string]array.Array
	err := callSafe(func() error {
		var e error
		res, e = ma.MergeAll(ps, m)
		return e
	})
	for _, p := range ps {
		err = accessFirst(err, p.Buffers.err)
	}
	if err != nil {
		return r.mainErr(ur, "MergeAll", err)
	}
	for name, arr := range res {
		j, ok := ur.index[name]
		if !ok {
			return errorf(ErrUndeclaredBuffer, ur.u, ur.idx, "MergeAll returned %q", name)
		}
		want := a.bufs[j]
		if want == nil {
			return errorf(ErrUndeclaredBuffer, ur.u, ur.idx, "MergeAll returned result_only buffer %q (only Results sets it)", name)
		}
		if arr == nil || arr.DType() != want.DType() || !slices.Equal(arr.Shape(), want.Shape()) {
			got := "nil"
			if arr != nil {
				got = fmt.Sprintf("%v %v", arr.DType(), arr.Shape())
			}
			return errorf(ErrMergeAllResult, ur.u, ur.idx, "buffer %q: got %s, want %v %v", name, got, want.DType(), want.Shape())
		}
		a.bufs[j] = arr
	}
	return nil
}

// partialRef is one task's buffers of one UDF.
type partialRef struct {
	task int
	bufs []array.Array
}

// getResults runs Results (or the default) and assembles the user-facing buffers.
func (r *run) getResults(a *acc, damage []bool) (*Result, error) {
	ur := a.ur
	var tmp map[string]array.Array
	if rg, ok := ur.u.(ResultsGetter); ok {
		env := r.mainEnv(a, damage, true)
		err := callSafe(func() error {
			var e error
			tmp, e = rg.Results(env)
			return e
		})
		if err = accessFirst(err, env.err); err != nil {
			return nil, r.mainErr(ur, "Results", err)
		}
	} else {
		for _, s := range ur.specs {
			if s.Use == UseResultOnly {
				return nil, errorf(ErrResultOnlyNotSet, ur.u, ur.idx, "result_only buffer %q is never set: implement Results(env *udf.Env) (map[string]array.Array, error)", s.Name)
			}
		}
	}
	for name := range tmp {
		if _, ok := ur.index[name]; !ok {
			return nil, errorf(ErrUndeclaredBuffer, ur.u, ur.idx, "Results returned %q", name)
		}
	}
	for _, s := range ur.specs {
		if _, ok := tmp[s.Name]; !ok && s.Use == UseResultOnly {
			return nil, errorf(ErrResultOnlyNotSet, ur.u, ur.idx, "Results: result_only buffer %q not returned", s.Name)
		}
	}
	res := &Result{UDF: ur.u}
	add := func(s BufferSpec, arr array.Array) error {
		var valid array.Array
		wm, masked := arr.(*ArrayWithMask)
		if masked {
			if wm == nil {
				return errorf(ErrNilResult, ur.u, ur.idx, "Results returned a nil *ArrayWithMask for %q", s.Name)
			}
			arr, valid = wm.Array, wm.Valid
		}
		if isNil(arr) {
			what := "nil"
			if masked {
				what = "WithMask(nil, mask)"
			}
			return errorf(ErrNilResult, ur.u, ur.idx, "Results returned %s for %q", what, s.Name)
		}
		if masked {
			if isNil(valid) {
				return errorf(ErrInvalidMask, ur.u, ur.idx, "buffer %q: nil mask", s.Name)
			}
			if _, err := broadcastBool(valid, arr.Shape()); err != nil {
				return errorf(ErrInvalidMask, ur.u, ur.idx, "buffer %q: %v", s.Name, err)
			}
		}
		if arr.DType().Kind() != s.DType.Kind() {
			return errorf(ErrResultKind, ur.u, ur.idx, "buffer %q: dtype %v (kind %v), declared %v (kind %v)", s.Name, arr.DType(), arr.DType().Kind(), s.DType, s.DType.Kind())
		}
		rb := &ResultBuffer{spec: s, raw: arr, valid: valid, dsShape: r.shape, roi: r.roi, damage: damage}
		if s.Kind == KindNav {
			want := append(r.shape.Nav(), s.ExtraShape...)
			flat := s.Shape(r.navRows, r.sig)
			if !slices.Equal(arr.Shape(), flat) && slices.Equal(arr.Shape(), want) {
				rb.navShaped = true
			}
		}
		res.Buffers = append(res.Buffers, rb)
		return nil
	}
	for j, s := range ur.specs {
		arr, ok := tmp[s.Name]
		if !ok {
			continue
		}
		if s.Use == UsePrivate {
			return nil, errorf(ErrPrivateResult, ur.u, ur.idx, "buffer %q", s.Name)
		}
		_ = j
		if err := add(s, arr); err != nil {
			return nil, err
		}
	}
	for j, s := range ur.specs {
		if _, ok := tmp[s.Name]; ok || s.Use != UseNormal {
			continue
		}
		if err := add(s, a.bufs[j]); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// isNil reports whether a is nil or a nil pointer in an interface.
func isNil(a array.Array) bool {
	if a == nil {
		return true
	}
	v := reflect.ValueOf(a)
	return v.Kind() == reflect.Pointer && v.IsNil()
}
