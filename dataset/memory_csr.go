package dataset

import (
	"context"
	"slices"

	"github.com/stemflow/stemflow/array"
)

// Sparse tiles from the memory dataset (the reference's array_backends option), for
// tests of the sparse paths: with MemoryOptions.ArrayFormats listing array.FormatCSR
// or array.FormatCSC, ReadTiles also delivers tiles as *array.CSR[T, int32] or
// *array.CSC[T, int32] of shape (depth, prod(sig box)) — the dense tile converted,
// implicit zeros where it is zero. Deviation: nil ArrayFormats means dense only (the
// reference offers every backend), so that existing runs keep dense tiles.

// memoryFormats validates the ArrayFormats option: dense, CSR or CSC, each once.
func memoryFormats(fs []array.Format) ([]array.Format, error) {
	if fs == nil {
		return nil, nil
	}
	if len(fs) == 0 {
		return nil, newErr("", "array_backends", ErrOption, "empty list of array formats (want nil for dense only, or some of dense, CSR, CSC)")
	}
	for i, f := range fs {
		switch f {
		case array.FormatDense, array.FormatCSR, array.FormatCSC:
		default:
			return nil, newErr("", "array_backends", ErrArrayFormat, "format %v (want dense, CSR or CSC)", f)
		}
		if slices.Contains(fs[:i], f) {
			return nil, newErr("", "array_backends", ErrOption, "format %v listed twice in %v", f, fs)
		}
	}
	return slices.Clone(fs), nil
}

// Formats returns the formats of MemoryOptions.ArrayFormats, or dense only.
func (m *Memory) Formats() []array.Format {
	if m.formats == nil {
		return m.dense.Formats()
	}
	return slices.Clone(m.formats)
}

// ReadTiles implements Dataset.ReadTiles. Dense requests read views or copies of the
// array; CSR and CSC requests (when listed in MemoryOptions.ArrayFormats) convert each
// dense tile into a sparse matrix of shape (depth, prod(sig box)) held in scratch
// reused for the call's next tile. Errors wrap ErrArrayFormat for a format not offered
// and ErrDType for bool tiles in a sparse format.
func (m *Memory) ReadTiles(ctx context.Context, p Partition, req TileRequest, fn func(t *Tile) error) error {
	if req.Format == array.FormatDense && (m.formats == nil || slices.Contains(m.formats, array.FormatDense)) {
		return m.dense.ReadTiles(ctx, p, req, fn)
	}
	if !slices.Contains(m.formats, req.Format) || req.Format == array.FormatDense {
		return newErr("", "format", ErrArrayFormat, "memory dataset offers %v, not %v", m.Formats(), req.Format)
	}
	if req.DType == array.Bool || (!req.DType.IsValid() && m.native == array.Bool) {
		return newErr("", "dtype", ErrDType, "%v tiles cannot hold bool values", req.Format)
	}
	dr := req
	dr.Format = array.FormatDense
	var sc sparseScratch
	return m.dense.ReadTiles(ctx, p, dr, func(t *Tile) error {
		d := t.Data
		sp, err := sc.convert(d, req.Format)
		if err != nil {
			return err
		}
		t.Data = sp
		err = fn(t)
		t.Data = d
		return err
	})
}

// sparseScratch holds the sparse tile of one ReadTiles call (a *array.CSR[T, int32]
// or *array.CSC[T, int32] for the call's dtype), reused from tile to tile.
type sparseScratch struct {
	csr, csc any
}

func (s *sparseScratch) convert(d array.Array, f array.Format) (array.Array, error) {
	switch x := d.(type) {
	case *array.Dense[float32]:
		return toSparseTile(s, x, f)
	case *array.Dense[float64]:
		return toSparseTile(s, x, f)
	case *array.Dense[int8]:
		return toSparseTile(s, x, f)
	case *array.Dense[int16]:
		return toSparseTile(s, x, f)
	case *array.Dense[int32]:
		return toSparseTile(s, x, f)
	case *array.Dense[int64]:
		return toSparseTile(s, x, f)
	case *array.Dense[uint8]:
		return toSparseTile(s, x, f)
	case *array.Dense[uint16]:
		return toSparseTile(s, x, f)
	case *array.Dense[uint32]:
		return toSparseTile(s, x, f)
	case *array.Dense[uint64]:
		return toSparseTile(s, x, f)
	case *array.Dense[complex64]:
		return toSparseTile(s, x, f)
	case *array.Dense[complex128]:
		return toSparseTile(s, x, f)
	}
	return nil, newErr("", "dtype", ErrDType, "%v tiles of dtype %v", f, d.DType())
}

func toSparseTile[T array.SparseValue](s *sparseScratch, d *array.Dense[T], f array.Format) (array.Array, error) {
	shape := d.Shape()
	rows, cols := 1, 1
	if len(shape) > 0 {
		rows = shape[0]
		for _, e := range shape[1:] {
			cols *= e
		}
	}
	src := d.Contiguous().Data()[:rows*cols]
	if f == array.FormatCSC {
		m, _ := s.csc.(*array.CSC[T, int32])
		if m == nil {
			m = &array.CSC[T, int32]{}
			s.csc = m
		}
		if err := m.SetDense(src, rows, cols); err != nil {
			return nil, newErr("", "tile", ErrShape, "CSC tile: %v", err)
		}
		return m, nil
	}
	m, _ := s.csr.(*array.CSR[T, int32])
	if m == nil {
		m = &array.CSR[T, int32]{}
		s.csr = m
	}
	if err := m.SetDense(src, rows, cols); err != nil {
		return nil, newErr("", "tile", ErrShape, "CSR tile: %v", err)
	}
	return m, nil
}
