package udf

import (
	"errors"
	"fmt"
	"runtime"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/backends"
	"github.com/stemflow/stemflow/dataset"
)

// mergeMode is how one UDF's partition results are merged.
type mergeMode uint8

const (
	// mergeChain applies Merge (or the default nav merge) in partition order.
	mergeChain mergeMode = iota
	// mergeAllUser calls the UDF's MergeAll once over all partials (UDFs with
	// MergeAll and without Merge only: it holds every partial until the end).
	mergeAllUser
)

// run is a compiled run: everything decided on the main node before any task.
type run struct {
	ds      dataset.Dataset
	opts    Options
	shape   array.Shape
	sig     []int
	roi     []bool // flat, copied; nil = none
	navRows int    // R or N
	input   array.DType
	meta    *Meta // main-node meta (template)
	us      []*udfRun
	scheme  dataset.TilingScheme
	boxes   [][]array.Range // sig ranges of every scheme box
	// boxContig tells per box whether it is C-contiguous within a sig-shaped buffer.
	boxContig []bool
	tasks     []task
	workers   int
	coords    coordFunc
	// plan assigns each UDF a backend; srcFormat is the format tiles are read in;
	// convert tells whether any UDF needs a converted tile.
	plan      backends.Plan
	srcFormat array.Format
	convert   bool
	// parts is the number of dataset partitions (empty ones included).
	parts int
}

// task is one non-empty partition.
type task struct {
	part  dataset.Partition
	slice array.Slice // ROI-adjusted partition slice
	lo, n int         // compressed row range
}

// udfRun is one UDF of a run.
type udfRun struct {
	idx     int
	u       UDF
	name    string
	specs   []BufferSpec
	index   map[string]int
	method  Method
	mode    mergeMode
	aux     []*AuxData
	backend backends.Backend
}

// compile validates a run and prepares its plan.
// ErrOptions: an Options field out of range (a negative Workers, NumPartitions or
// Window).
var ErrOptions = errors.New("udf: invalid options")

func compile(ds dataset.Dataset, udfs []UDF, opts Options) (*run, error) {
	if len(udfs) == 0 {
		return nil, ErrNoUDFs
	}
	if ds == nil {
		return nil, fmt.Errorf("udf: nil dataset")
	}
	if opts.Workers < 0 || opts.NumPartitions < 0 || opts.Window < 0 {
		return nil, fmt.Errorf("%w: Workers %d, NumPartitions %d, Window %d; each must be ≥ 0 (0 = automatic)",
			ErrOptions, opts.Workers, opts.NumPartitions, opts.Window)
	}
	if err := checkDevices(opts.Devices); err != nil {
		return nil, err
	}
	r := &run{ds: ds, opts: opts, shape: ds.Shape()}
	r.sig = r.shape.Sig()
	navSize := r.shape.NavSize()
	if m, ok := opts.ROI.(*array.Dense[bool]); opts.ROI != nil && !(ok && m == nil) {
		if !ok {
			return nil, fmt.Errorf("%w: roi is a %v array of format %v, want a dense bool array (ROIFromArray casts numbers to bool)", ErrROIShape, opts.ROI.DType(), opts.ROI.Format())
		}
		if m.Size() != navSize {
			return nil, fmt.Errorf("%w: roi has %d elements, the dataset's nav shape %v has %d", ErrROIShape, m.Size(), r.shape.Nav(), navSize)
		}
		r.roi = append([]bool(nil), m.Copy().Data()...)
	}
	r.navRows = navSize
	if r.roi != nil {
		r.navRows = 0
		for _, v := range r.roi {
			if v {
				r.navRows++
			}
		}
	}
	// execution plan, then the input dtype
	lists := make([][]backends.Backend, len(udfs))
	for i, u := range udfs {
		if bl, ok := u.(BackendLister); ok {
			lists[i] = bl.Backends()
		}
	}
	plan, err := backends.NewPlan(lists, backends.ForFormats(ds.Formats()), backends.DeviceCPU, opts.Backends)
	if err != nil {
		return nil, fmt.Errorf("udf: backend plan: %w", err)
	}
	r.plan = plan
	f, ok := plan.Source.Format()
	if !ok {
		return nil, fmt.Errorf("udf: backend plan: %w: the dataset cannot deliver %v", backends.ErrNoBackend, plan.Source)
	}
	r.srcFormat = f
	for _, b := range plan.ByUDF {
		if b != plan.Source {
			r.convert = true
		}
	}
	t := ds.DType()
	for _, u := range udfs {
		pref := array.Float32
		if p, ok := u.(InputDTyper); ok {
			pref = p.PreferredInputDType()
		}
		t = array.ResultType(pref, t)
	}
	r.input = backends.ResultType(t, plan.Targets()...)
	t = r.input
	r.coords = makeCoords(r.shape, r.roi)
	r.meta = &Meta{
		DatasetShape: r.shape,
		ROI:          r.roi,
		DatasetDType: ds.DType(),
		InputDType:   t,
		DeviceClass:  "cpu",
		Partition:    -1,
	}
	prefs := make([]dataset.TilingPrefs, len(udfs))
	for i, u := range udfs {
		ur, err := prepareUDF(i, u, r.meta)
		if err != nil {
			return nil, err
		}
		ur.backend = plan.ByUDF[i]
		r.us = append(r.us, ur)
		var p TilingPrefs
		if tp, ok := u.(TilingPreferrer); ok && ur.method == MethodTile {
			p = tp.TilingPreferences(r.meta)
		}
		p.Method = ur.method
		prefs[i] = p
	}
	r.workers = opts.Workers
	if r.workers <= 0 {
		r.workers = runtime.GOMAXPROCS(0)
		if opts.Pool != nil {
			r.workers = opts.Pool.Size()
		}
	}
	if opts.Inline {
		r.workers = 1
	}
	np := dataset.NumPartitions(ds, r.workers, opts.NumPartitions)
	parts := dataset.Partitions(ds, np)
	r.parts = len(parts)
	in := dataset.NegotiationFor(ds, prefs, r.input, r.roi, len(parts))
	scheme, err := dataset.Negotiate(in)
	if err != nil {
		return nil, fmt.Errorf("udf: tiling negotiation: %w", err)
	}
	r.scheme = scheme
	r.boxes = make([][]array.Range, len(scheme.Boxes))
	r.boxContig = make([]bool, len(scheme.Boxes))
	for i, b := range scheme.Boxes {
		r.boxes[i] = b.Get()
		r.boxContig[i] = boxContiguous(r.boxes[i], r.sig)
	}
	for _, p := range parts {
		s := p.ROISlice(r.roi)
		n := s.Shape.Dim(0)
		if n == 0 {
			continue
		}
		r.tasks = append(r.tasks, task{part: p, slice: s, lo: s.Origin[0], n: n})
	}
	return r, nil
}

// prepareUDF validates one UDF's declarations and method on the main node.
func prepareUDF(i int, u UDF, meta *Meta) (*udfRun, error) {
	if u == nil {
		return nil, fmt.Errorf("%w: udf %d is nil", ErrBadDeclaration, i)
	}
	if err := check(i, u); err != nil {
		return nil, err
	}
	ur := &udfRun{idx: i, u: u, name: udfName(u)}
	specs, err := declare(ur, meta)
	if err != nil {
		return nil, err
	}
	if hs := fieldHandles(u); len(hs) > 0 {
		if err := checkHandles(i, u, hs, specs); err != nil {
			return nil, err
		}
	}
	if _, ok := u.(ResultsGetter); !ok {
		for _, s := range specs {
			if s.Use == UseResultOnly {
				return nil, errorf(ErrResultOnlyNotSet, u, i, "result_only buffer %q is never set: implement Results(env *udf.Env) (map[string]array.Array, error)", s.Name)
			}
		}
	}
	ur.specs = specs
	ur.index = make(map[string]int, len(specs))
	for j, s := range specs {
		ur.index[s.Name] = j
	}
	m, ok := defaultMethod(u)
	if !ok {
		return nil, errorf(ErrNoProcessMethod, u, i, "implement ProcessTile, ProcessFrame or ProcessPartition")
	}
	if mc, ok := u.(MethodChooser); ok {
		m = mc.Method(meta)
		if m != MethodTile && m != MethodFrame && m != MethodPartition {
			return nil, errorf(ErrInvalidMethod, u, i, "Method returned %v", m)
		}
		if !implements(u, m) {
			return nil, errorf(ErrInvalidMethod, u, i, "Method returned %v, which the UDF does not implement", m)
		}
	}
	ur.method = m
	_, hasMerge := u.(Merger)
	_, hasAll := u.(AllMerger)
	allNav, navOrResultOnly := true, true
	for _, s := range specs {
		if s.Kind != KindNav {
			allNav = false
			if s.Use != UseResultOnly {
				navOrResultOnly = false
			}
		}
	}
	// A UDF with Merge is merged by its ordered chain even when it also has MergeAll:
	// the chain frees each partial as soon as it is merged, so at most the admission
	// window of partials is alive, while merge_all holds every partial until the end.
	switch {
	case hasMerge:
		ur.mode = mergeChain
	case hasAll:
		ur.mode = mergeAllUser
	case allNav, navOrResultOnly:
		ur.mode = mergeChain
	default:
		for _, s := range specs {
			if s.Kind != KindNav && s.Use != UseResultOnly {
				return nil, errorf(ErrCustomMergeRequired, u, i, "buffer %q is kind %v", s.Name, s.Kind)
			}
		}
	}
	if ap, ok := u.(AuxProvider); ok {
		ur.aux = ap.AuxData()
		for _, a := range ur.aux {
			if a == nil {
				return nil, errorf(ErrAuxData, u, i, "nil aux data")
			}
			if a.Rows() != meta.DatasetShape.NavSize() {
				return nil, errorf(ErrAuxData, u, i, "aux %q has %d rows, the dataset %d nav positions", a.Name, a.Rows(), meta.DatasetShape.NavSize())
			}
		}
	}
	return ur, nil
}

// declare calls ResultBuffers and validates the declarations, resolving the default
// dtype.
func declare(ur *udfRun, meta *Meta) (specs []BufferSpec, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = &UDFError{UDF: ur.name, Index: ur.idx, Partition: meta.Partition, Method: "ResultBuffers", Err: panicErr(p)}
		}
	}()
	raw := ur.u.ResultBuffers(meta)
	specs = make([]BufferSpec, len(raw))
	seen := make(map[string]bool, len(raw))
	for j, s := range raw {
		if err := s.validate(); err != nil {
			return nil, &UDFError{UDF: ur.name, Index: ur.idx, Partition: -1, Method: "ResultBuffers", Err: err}
		}
		if seen[s.Name] {
			return nil, errorf(ErrBadDeclaration, ur.u, ur.idx, "buffer %q declared twice", s.Name)
		}
		seen[s.Name] = true
		s.DType = s.dtype()
		s.ExtraShape = append([]int(nil), s.ExtraShape...)
		specs[j] = s
	}
	return specs, nil
}

// makeCoords returns the coordinate function for compressed flat-nav rows.
func makeCoords(shape array.Shape, roi []bool) coordFunc {
	nav := shape.Nav()
	var idx []int
	if roi != nil {
		idx = roiIndex(roi)
	}
	return func(start, n int, dst []int64) {
		nd := len(nav)
		for j := 0; j < n; j++ {
			flat := start + j
			if idx != nil {
				flat = idx[start+j]
			}
			for a := nd - 1; a >= 0; a-- {
				dst[j*nd+a] = int64(flat % nav[a])
				flat /= nav[a]
			}
		}
	}
}

// boxContiguous reports whether box is one C-contiguous block of an array of shape sig
// (followed by any extra axes): after the first axis with extent > 1, every axis
// must be whole.
func boxContiguous(box []array.Range, sig []int) bool {
	seen := false
	for a, rg := range box {
		if seen && (rg.Start != 0 || rg.Stop != sig[a]) {
			return false
		}
		if rg.Len() > 1 {
			seen = true
		}
	}
	return true
}
