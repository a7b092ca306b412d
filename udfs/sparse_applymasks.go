package udfs

import (
	"fmt"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/backends"
	"github.com/stemflow/stemflow/udf"
)

// ApplyMasks with sparse masks and sparse tiles (issue 6):
// when every mask is sparse (a CSR or CSC factory result, or a sparse Stack) and no
// shift is set, the masks stay sparse in a udf.MaskContainer (CSR, cut per signal
// box and cached) and each tile step is a sparse product: dense tile · masksᵀ
// (array.MulAddDenseCSRT) or CSR tile · masksᵀ (array.MulAddCSRCSRT). With dense
// masks, CSR tiles are multiplied with the dense per-box cut (array.MulAddCSRDense).
// Mixed dense and sparse masks, and shifted masks, are densified.

// Backends returns CSR and Dense without shifts (tiles of both formats are
// multiplied directly), Dense only with shifts (the shifted path reads dense frames).
func (a *ApplyMasks) Backends() []backends.Backend {
	if a.Shift != nil || a.Shifts != nil {
		return []backends.Backend{backends.Dense}
	}
	return []backends.Backend{backends.CSR, backends.Dense}
}

// sparseMasksTask is ApplyMasks' task data with a sparse mask stack.
type sparseMasksTask struct {
	c    *udf.MaskContainer
	f32  bool
	d32  *array.Dense[float32] // converted dense tile
	d64  *array.Dense[float64]
	c32  array.CSR[float32, int32] // converted sparse tile (values only)
	c64  array.CSR[float64, int32]
	sig  []int
	nMsk int
}

// splitSparseStack splits a sparse Stack result (n·px elements in C order, e.g. a
// CSR (n, px)) into n sparse masks of shape (1, px).
func splitSparseStack(st array.Array, sig []int) ([]array.Array, error) {
	c := udf.NewMaskStack(func([]int) (array.Array, error) { return st, nil }, array.DType{}).WithSigShape(sig).WithSparse(udf.SparseAlways)
	m, err := c.Stack()
	if err != nil {
		return nil, fmt.Errorf("udfs: ApplyMasks: sparse mask stack: %w", err)
	}
	switch s := m.(type) {
	case *array.CSR[float32, int32]:
		return splitRows(s), nil
	case *array.CSR[float64, int32]:
		return splitRows(s), nil
	}
	// other dtypes: dense masks
	d, err := array.Densify(m)
	if err != nil {
		return nil, err
	}
	c2, err := array.Convert(d, array.Float64)
	if err != nil {
		return nil, err
	}
	v := c2.(*array.Dense[float64]).Contiguous().Data()
	rows, px := m.Shape()[0], m.Shape()[1]
	out := make([]array.Array, rows)
	for i := range out {
		out[i] = array.Wrap(v[i*px:(i+1)*px:(i+1)*px], px)
	}
	return out, nil
}

func splitRows[T array.SparseValue](m *array.CSR[T, int32]) []array.Array {
	out := make([]array.Array, m.Rows)
	for i := range out {
		out[i] = m.SliceRows(i, i+1)
	}
	return out
}

// sparseTaskData decides the mask storage: it returns a sparse task when every mask
// is sparse and no shift is set; otherwise it returns ms with sparse masks densified
// (and a nil task) for the dense path.
func (a *ApplyMasks) sparseTaskData(env *udf.Env, ms []array.Array) ([]array.Array, any, error) {
	nSparse := 0
	for _, m := range ms {
		if m.Format() != array.FormatDense {
			nSparse++
		}
	}
	if nSparse == 0 {
		return ms, nil, nil
	}
	if nSparse < len(ms) || a.Shift != nil || a.Shifts != nil {
		out := make([]array.Array, len(ms))
		for i, m := range ms {
			d, err := array.Densify(m)
			if err != nil {
				return nil, nil, fmt.Errorf("udfs: ApplyMasks: mask %d: %w", i, err)
			}
			out[i] = d
		}
		return out, nil, nil
	}
	spec := env.Specs()[0]
	f32 := spec.ResolvedDType() == array.Float32
	dt := array.Float64
	if f32 {
		dt = array.Float32
	} else if spec.ResolvedDType() != array.Float64 {
		return nil, nil, fmt.Errorf("%w: ApplyMasks with sparse masks: result dtype %v (want float32 or float64)", ErrUnsupportedDType, spec.ResolvedDType())
	}
	sig := env.Meta.DatasetShape.Sig()
	fs := make([]udf.MaskFactory, len(ms))
	for i, m := range ms {
		fs[i] = func([]int) (array.Array, error) { return m, nil }
	}
	c := udf.NewMaskList(fs, dt).WithSigShape(sig)
	if _, err := c.Stack(); err != nil {
		return nil, nil, fmt.Errorf("udfs: ApplyMasks: %w", err)
	}
	return ms, &sparseMasksTask{c: c, f32: f32, sig: sig, nMsk: len(ms)}, nil
}

// processSparse handles the tiles the dense kernel does not: every tile when the
// masks are sparse, and sparse tiles with dense masks. done is false when the dense
// path should run.
func (a *ApplyMasks) processSparse(env *udf.Env, tile array.Array) (done bool, err error) {
	switch t := env.TaskData().(type) {
	case *sparseMasksTask:
		return true, t.process(env, tile)
	case *masksTask:
		if tile.Format() == array.FormatDense {
			return false, nil
		}
		return true, t.processSparseTile(env, tile)
	}
	return false, nil
}

// process adds tile · masksᵀ (sparse masks cut to the tile's box) to the tile's rows.
func (t *sparseMasksTask) process(env *udf.Env, tile array.Array) error {
	if t.nMsk == 0 {
		return nil
	}
	cut, err := t.c.Get(env.Meta.SigSlice, false)
	if err != nil {
		return err
	}
	out := env.At(0)
	if t.f32 {
		o, ok := out.(*array.Dense[float32])
		m, ok2 := cut.(*array.CSR[float32, int32])
		if !ok || !ok2 {
			return fmt.Errorf("%w: ApplyMasks: buffer %v, masks %T", ErrUnsupportedDType, out.DType(), cut)
		}
		if tile.Format() == array.FormatDense {
			d, err := denseAs(&t.d32, tile)
			if err != nil {
				return err
			}
			return array.MulAddDenseCSRT(o, d, m)
		}
		s, err := csrAs(&t.c32, tile)
		if err != nil {
			return err
		}
		return array.MulAddCSRCSRT(o, s, m)
	}
	o, ok := out.(*array.Dense[float64])
	m, ok2 := cut.(*array.CSR[float64, int32])
	if !ok || !ok2 {
		return fmt.Errorf("%w: ApplyMasks: buffer %v, masks %T", ErrUnsupportedDType, out.DType(), cut)
	}
	if tile.Format() == array.FormatDense {
		d, err := denseAs(&t.d64, tile)
		if err != nil {
			return err
		}
		return array.MulAddDenseCSRT(o, d, m)
	}
	s, err := csrAs(&t.c64, tile)
	if err != nil {
		return err
	}
	return array.MulAddCSRCSRT(o, s, m)
}

// processSparseTile adds a sparse tile · dense masks (cut to the box) to the rows.
func (t *masksTask) processSparseTile(env *udf.Env, tile array.Array) error {
	if t.n == 0 {
		return nil
	}
	t.box.set(t.sig, env.Meta.SigSlice)
	idx := env.Meta.TilingSchemeIdx
	t.cut(idx)
	bp := t.box.size()
	out := env.At(0)
	if t.f32 {
		o, ok := out.(*array.Dense[float32])
		if !ok {
			return fmt.Errorf("%w: ApplyMasks: buffer %v", ErrUnsupportedDType, out.DType())
		}
		var sc array.CSR[float32, int32]
		s, err := csrAs(&sc, tile)
		if err != nil {
			return err
		}
		return array.MulAddCSRDense(o, s, array.Wrap(t.cut32[idx], bp, t.n))
	}
	o, ok := out.(*array.Dense[float64])
	if !ok {
		return fmt.Errorf("%w: ApplyMasks: buffer %v", ErrUnsupportedDType, out.DType())
	}
	var sc array.CSR[float64, int32]
	s, err := csrAs(&sc, tile)
	if err != nil {
		return err
	}
	return array.MulAddCSRDense(o, s, array.Wrap(t.cut64[idx], bp, t.n))
}

// denseAs returns a dense tile as *array.Dense[D]: the tile itself when it has that
// type, else a conversion into *scratch (reused while the tile shape stays).
func denseAs[D float32 | float64](scratch **array.Dense[D], tile array.Array) (*array.Dense[D], error) {
	if d, ok := tile.(*array.Dense[D]); ok {
		return d, nil
	}
	if tile.DType().Kind() == array.KindComplex {
		return nil, fmt.Errorf("%w: ApplyMasks: complex input", ErrUnsupportedDType)
	}
	shape := tile.Shape()
	if *scratch == nil || !equalShape((*scratch).Shape(), shape) {
		*scratch = array.Zeros[D](shape...)
	}
	if err := array.ConvertInto(*scratch, tile); err != nil {
		return nil, fmt.Errorf("udfs: ApplyMasks: tile: %w", err)
	}
	return *scratch, nil
}

func equalShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// csrAs returns a sparse tile as *array.CSR[D, int32]: the tile itself when it has
// that type, else dst holding the tile's structure (shared, read-only) and its values
// converted to D. CSC tiles and int64 indices are converted to CSR first.
func csrAs[D float32 | float64](dst *array.CSR[D, int32], tile array.Array) (*array.CSR[D, int32], error) {
	switch m := tile.(type) {
	case *array.CSR[D, int32]:
		return m, nil
	case *array.CSR[float32, int32]:
		return valuesAs(dst, m), nil
	case *array.CSR[float64, int32]:
		return valuesAs(dst, m), nil
	case *array.CSR[uint16, int32]:
		return valuesAs(dst, m), nil
	case *array.CSR[uint8, int32]:
		return valuesAs(dst, m), nil
	case *array.CSR[int8, int32]:
		return valuesAs(dst, m), nil
	case *array.CSR[int16, int32]:
		return valuesAs(dst, m), nil
	case *array.CSR[int32, int32]:
		return valuesAs(dst, m), nil
	case *array.CSR[uint32, int32]:
		return valuesAs(dst, m), nil
	case *array.CSR[int64, int32]:
		return valuesAs(dst, m), nil
	case *array.CSR[uint64, int32]:
		return valuesAs(dst, m), nil
	}
	// slow path: densify, convert, compress
	d, err := array.Densify(tile)
	if err != nil {
		return nil, fmt.Errorf("%w: ApplyMasks: %w", ErrUnsupportedFormat, err)
	}
	c, err := array.Convert(d, array.DTypeOf[D]())
	if err != nil {
		return nil, fmt.Errorf("udfs: ApplyMasks: tile: %w", err)
	}
	return array.CSRFromDense[D, int32](c.(*array.Dense[D]))
}

func valuesAs[D float32 | float64, S realNumber](dst *array.CSR[D, int32], m *array.CSR[S, int32]) *array.CSR[D, int32] {
	nnz := m.NNZ()
	data := dst.Data
	if cap(data) < nnz {
		data = make([]D, nnz, nnz+nnz/4)
	}
	data = data[:nnz]
	for k, v := range m.Data[:nnz] {
		data[k] = D(v)
	}
	*dst = array.CSR[D, int32]{Rows: m.Rows, Cols: m.Cols, Indptr: m.Indptr, Indices: m.Indices[:nnz], Data: data}
	return dst
}
