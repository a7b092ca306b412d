package udf

import (
	"context"
	"fmt"
	"io"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/backends"
	"github.com/stemflow/stemflow/dataset"
	"github.com/stemflow/stemflow/delayed"
	"github.com/stemflow/stemflow/graph"
)

// LazyRun is a compiled, uncomputed run: handles on its graph nodes that compose with
// package delayed. Nothing runs until a handle is computed. Every Compute recomputes
// the run (as dask does) unless the handles were persisted with delayed.Persist, so
// compute everything you need from one run in one call.
type LazyRun struct {
	r *run
	c *compiled
	// Results holds one handle per UDF, in order, yielding its *Result (Data of
	// every buffer computed).
	Results []delayed.Delayed[*Result]
}

// RunLazy compiles a run without computing anything (the reference's delayed
// executor). Options.Workers, Inline, Window and Progress apply to LazyRun.Compute;
// handles computed through package delayed use the options given there.
func RunLazy(ds dataset.Dataset, udfs []UDF, opts Options) (*LazyRun, error) {
	r, err := compile(ds, udfs, opts)
	if err != nil {
		return nil, err
	}
	c, err := r.build(nil)
	if err != nil {
		return nil, err
	}
	l := &LazyRun{r: r, c: c}
	for _, k := range c.finals {
		l.Results = append(l.Results, delayed.FromNode[*Result](c.g, k))
	}
	return l, nil
}

// Compute computes every UDF's results in one run with the run's options. Results
// persisted with delayed.Persist are reused, not recomputed.
func (l *LazyRun) Compute(ctx context.Context) ([]*Result, error) {
	ps := l.r.newProgress()
	vals, err := delayed.ComputeWith(withProgress(ctx, ps), l.r.schedOptions(ps, false), delayed.Handles(l.Results...)...)
	if err = l.r.endRun(publicErr(err)); err != nil {
		return nil, err
	}
	out := make([]*Result, len(l.Results))
	for i, h := range l.Results {
		if out[i], err = h.Get(vals); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Data returns a handle on the Data (nav-shaped, fill outside the ROI) of buffer
// name of UDF i. Asking twice gives the same node (computed once).
func (l *LazyRun) Data(i int, name string) delayed.Delayed[array.Array] {
	return delayed.Call1Err(func(r *Result) (array.Array, error) {
		b := r.Get(name)
		if b == nil {
			return nil, fmt.Errorf("%w: udf %d has no result %q", ErrUndeclaredBuffer, i, name)
		}
		return b.Data(), nil
	}, l.Results[i], delayed.Name("data-"+name), delayed.Kind(graph.KindFinalize), delayed.Pure(name))
}

// RawData returns a handle on the RawData (flat, ROI-compressed) of buffer name of
// UDF i.
func (l *LazyRun) RawData(i int, name string) delayed.Delayed[array.Array] {
	return delayed.Call1Err(func(r *Result) (array.Array, error) {
		b := r.Get(name)
		if b == nil {
			return nil, fmt.Errorf("%w: udf %d has no result %q", ErrUndeclaredBuffer, i, name)
		}
		return b.RawData(), nil
	}, l.Results[i], delayed.Name("raw_data-"+name), delayed.Kind(graph.KindFinalize), delayed.Pure(name))
}

// Chunks returns one handle per non-empty partition, in partition order, on the
// partition's buffer name of UDF i as the task produced it (before merging): nav
// buffers (Rp,)+extra, sig and single buffers whole. Result-only buffers have no
// chunks (nil).
func (l *LazyRun) Chunks(i int, name string) []delayed.Delayed[array.Array] {
	ur := l.r.us[i]
	j, ok := ur.index[name]
	if !ok || ur.specs[j].Use == UseResultOnly {
		return nil
	}
	out := make([]delayed.Delayed[array.Array], len(l.c.tasks))
	for k, key := range l.c.tasks {
		t := delayed.FromNode[partial](l.c.g, key)
		out[k] = delayed.Call1(func(p partial) array.Array { return p[i][j] }, t,
			delayed.Name(fmt.Sprintf("chunk-%s-%d", name, k)), delayed.Pure(fmt.Sprint(i), name))
	}
	return out
}

// NumTasks returns the number of partition tasks (non-empty partitions).
func (l *LazyRun) NumTasks() int { return len(l.c.tasks) }

// Graph returns the run's task graph (do not modify it).
func (l *LazyRun) Graph() *graph.Graph { return l.c.g }

// WriteDOT writes the run's graph in Graphviz DOT.
func (l *LazyRun) WriteDOT(w io.Writer) error { return l.c.g.WriteDOT(w) }

// DatasetChunks returns ds as a lazy array: one handle per partition (all of them,
// in order) on its frames, shape (Np or Rp,)+sig in dtype dt (the zero DType: native),
// ROI-selected when roi is non-nil (the reference's make_dask_array). Partitions
// outside the file hold zeros.
func DatasetChunks(ds dataset.Dataset, numPartitions int, roi []bool, dt array.DType) ([]delayed.Delayed[array.Array], error) {
	shape := ds.Shape()
	if roi != nil && len(roi) != shape.NavSize() {
		return nil, fmt.Errorf("%w: roi has %d elements, nav size %d", ErrROIShape, len(roi), shape.NavSize())
	}
	if !dt.IsValid() {
		dt = ds.DType()
	}
	roi = append([]bool(nil), roi...)
	if len(roi) == 0 {
		roi = nil
	}
	parts := dataset.Partitions(ds, max(1, numPartitions))
	sig := shape.Sig()
	out := make([]delayed.Delayed[array.Array], len(parts))
	for k, p := range parts {
		p := p
		out[k] = delayed.Apply[array.Array](func(ctx context.Context, _ []any) (any, error) {
			s := p.ROISlice(roi)
			n := s.Shape.Dim(0)
			dst := array.New(dt, append([]int{n}, sig...)...)
			if n == 0 {
				return dst, nil
			}
			full := append([]int{n}, sig...)
			scheme, err := dataset.NewTilingScheme(full, sig, dataset.MethodPartition)
			if err != nil {
				return nil, err
			}
			o := opsOf(dst)
			err = ds.ReadTiles(ctx, p, dataset.TileRequest{Scheme: scheme, ROI: roi, DType: dt, Format: array.FormatDense}, func(t *dataset.Tile) error {
				lo := t.Slice.Origin[0] - s.Origin[0]
				rg := make([]array.Range, 0, len(full))
				rg = append(rg, array.Range{Start: lo, Stop: lo + t.Slice.Shape.Dim(0)})
				rg = append(rg, t.Slice.SigRanges()...)
				return opsOf(o.box(rg)).copyFrom(t.Data)
			})
			if err != nil {
				return nil, err
			}
			return dst, nil
		}, nil, delayed.Name(fmt.Sprintf("dataset-chunk-%d", k)), delayed.Kind(graph.KindTask))
	}
	return out, nil
}

// RunPlan describes what a compiled run will do, without computing it: what
// `stemflow info` prints and what a caller needs to size buffers or explain a run.
type RunPlan struct {
	// InputDType is the dtype every UDF's process methods receive.
	InputDType array.DType
	// Methods holds each UDF's processing method, in UDF order.
	Methods []Method
	// Backends holds the array backend each UDF receives, in UDF order.
	Backends []backends.Backend
	// Scheme is the tiling scheme negotiated once for the run.
	Scheme dataset.TilingScheme
	// Partitions holds the partitions that have work (at least one ROI frame).
	Partitions []dataset.Partition
}

// Plan returns the compiled run's plan. The slices are copies.
func (l *LazyRun) Plan() RunPlan {
	p := RunPlan{InputDType: l.r.input, Scheme: l.r.scheme}
	for _, ur := range l.r.us {
		p.Methods = append(p.Methods, ur.method)
		p.Backends = append(p.Backends, ur.backend)
	}
	for _, t := range l.r.tasks {
		p.Partitions = append(p.Partitions, t.part)
	}
	return p
}
