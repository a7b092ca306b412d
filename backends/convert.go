package backends

import (
	"errors"
	"fmt"
	"slices"

	"github.com/stemflow/stemflow/array"
)

// ErrUnsupported is wrapped by errors about conversions this build cannot do: to COO or
// a GPU backend, from an array type the Converter does not know, or between index types.
var ErrUnsupported = errors.New("unsupported array conversion")

// maxViews bounds the Converter's cache of dense view headers.
const maxViews = 8

type denseView[T any] struct {
	base *T
	n    int
	dims []int
	view *array.Dense[T]
}

// Converter converts the tiles of one task into the backends of its UDFs: each tile is
// converted at most once per backend (Get caches per backend until the next SetTile),
// into buffers owned by the Converter and reused for every later tile, so that a steady
// stream of tiles allocates nothing. A Converter is for one goroutine; results are valid
// until the next SetTile and must be treated as read-only, like tiles.
//
// T is the run's input dtype. Sources may be *array.Dense[T], *array.CSR[T, I] or
// *array.CSC[T, I] (I int32 or int64). Dense outputs have the tile's shape
// (depth,)+sig box; CSR and CSC outputs are (depth, prod(sig box)) with int32 indices
// when converted (a sparse source of the requested format is handed on as it is).
type Converter[T array.SparseValue] struct {
	src   array.Array
	dims  []int // tile shape (depth,)+box
	done  [numBackends + 1]bool
	out   [numBackends + 1]array.Array
	dense []T
	views []denseView[T]
	csr   array.CSR[T, int32]
	csc   array.CSC[T, int32]
	// frame scratch
	fcsr  array.CSR[T, int32]
	fcsc  array.CSC[T, int32]
	fcsr8 array.CSR[T, int64]
}

// NewConverter returns an empty Converter for input dtype T.
func NewConverter[T array.SparseValue]() *Converter[T] { return &Converter[T]{} }

// SetTile makes data (in the dataset's format, see Plan.Source) the current tile;
// shape is the tile's shape (depth,)+sig box, as in dataset.Tile.Slice.Shape.Dims().
// shape is copied. Earlier conversions are invalidated.
func (c *Converter[T]) SetTile(data array.Array, shape []int) {
	c.src = data
	c.dims = append(c.dims[:0], shape...)
	clear(c.done[:])
	clear(c.out[:])
}

// Get returns the current tile in backend b, converting it on the first request for b
// since SetTile. Errors wrap ErrUnsupported (COO, GPU backends, unknown source types) or
// array.ErrShape (a tile whose size does not match its shape).
func (c *Converter[T]) Get(b Backend) (array.Array, error) {
	if !b.Valid() {
		return nil, fmt.Errorf("%w: %v", ErrUnknownBackend, b)
	}
	if c.src == nil {
		return nil, fmt.Errorf("%w: no current tile (call SetTile first)", ErrUnsupported)
	}
	if c.done[b] {
		return c.out[b], nil
	}
	out, err := c.convert(b)
	if err != nil {
		return nil, err
	}
	c.done[b], c.out[b] = true, out
	return out, nil
}

func (c *Converter[T]) matrixDims() (int, int) {
	if len(c.dims) == 0 {
		return 1, 1
	}
	cols := 1
	for _, d := range c.dims[1:] {
		cols *= d
	}
	return c.dims[0], cols
}

func (c *Converter[T]) convert(b Backend) (array.Array, error) {
	rows, cols := c.matrixDims()
	if c.src.Size() != rows*cols {
		return nil, fmt.Errorf("%w: tile of %d elements (%T %v) for tile shape %v", array.ErrShape, c.src.Size(), c.src, c.src.Shape(), c.dims)
	}
	switch b {
	case Dense, CUDA:
		switch s := c.src.(type) {
		case *array.Dense[T]:
			// A dense tile with as many axes as its shape is the tile itself (the
			// dataset contract); only 2-D dense sources are re-viewed.
			if s.NDim() == len(c.dims) {
				return s, nil
			}
			if !s.IsContiguous() {
				s = s.Copy()
			}
			return c.view(s.Data()[:rows*cols], c.dims), nil
		case *array.CSR[T, int32]:
			return c.densify(s.DensifyRaw)
		case *array.CSR[T, int64]:
			return c.densify(s.DensifyRaw)
		case *array.CSC[T, int32]:
			return c.densify(s.DensifyRaw)
		case *array.CSC[T, int64]:
			return c.densify(s.DensifyRaw)
		}
	case CSR:
		switch s := c.src.(type) {
		case *array.CSR[T, int32]:
			return s, nil
		case *array.CSR[T, int64]:
			return s, nil
		case *array.Dense[T]:
			if err := c.csr.SetDense(s.Contiguous().Data()[:rows*cols], rows, cols); err != nil {
				return nil, err
			}
			return &c.csr, nil
		case *array.CSC[T, int32]:
			c.csr.SetCSC(s)
			return &c.csr, nil
		}
	case CSC:
		switch s := c.src.(type) {
		case *array.CSC[T, int32]:
			return s, nil
		case *array.CSC[T, int64]:
			return s, nil
		case *array.Dense[T]:
			if err := c.csc.SetDense(s.Contiguous().Data()[:rows*cols], rows, cols); err != nil {
				return nil, err
			}
			return &c.csc, nil
		case *array.CSR[T, int32]:
			c.csc.SetCSR(s)
			return &c.csc, nil
		}
	default:
		return nil, fmt.Errorf("%w: conversion to %v is not implemented in this build", ErrUnsupported, b)
	}
	return nil, fmt.Errorf("%w: %T to %v", ErrUnsupported, c.src, b)
}

func sameDims[T any](d *array.Dense[T], dims []int) bool {
	if d.NDim() != len(dims) {
		return false
	}
	return slices.Equal(d.Shape(), dims)
}

func (c *Converter[T]) densify(f func([]T) error) (array.Array, error) {
	rows, cols := c.matrixDims()
	n := rows * cols
	if cap(c.dense) < n {
		c.dense = make([]T, n, n+n/8)
		c.views = c.views[:0]
	}
	buf := c.dense[:n]
	if err := f(buf); err != nil {
		return nil, err
	}
	return c.view(buf, c.dims), nil
}

// view returns a Dense header over data with the given dims, cached so that the same
// buffer and shape give the same header without allocating.
func (c *Converter[T]) view(data []T, dims []int) *array.Dense[T] {
	var base *T
	if len(data) > 0 {
		base = &data[0]
	}
	for _, v := range c.views {
		if v.base == base && v.n == len(data) && slices.Equal(v.dims, dims) {
			return v.view
		}
	}
	v := denseView[T]{base: base, n: len(data), dims: slices.Clone(dims), view: array.Wrap(data, dims...)}
	if len(c.views) == maxViews {
		copy(c.views, c.views[1:])
		c.views = c.views[:maxViews-1]
	}
	c.views = append(c.views, v)
	return v.view
}

// Frame returns frame i of tile, a tile in one of the 2-D backends as returned by Get
// (CSR or CSC), as a (1, prod(sig)) matrix in the same format, without allocating in
// steady state: the result lives in scratch owned by the Converter and is valid until
// the next Frame call. For a dense tile it returns the view tile.Row(i) of shape sig
// (which allocates a small header). Errors wrap ErrUnsupported for other types; it
// panics if i is out of range, like slice indexing.
func (c *Converter[T]) Frame(tile array.Array, i int) (array.Array, error) {
	switch s := tile.(type) {
	case *array.Dense[T]:
		return s.Row(i), nil
	case *array.CSR[T, int32]:
		s.SliceRowsInto(&c.fcsr, i, i+1)
		return &c.fcsr, nil
	case *array.CSR[T, int64]:
		s.SliceRowsInto(&c.fcsr8, i, i+1)
		return &c.fcsr8, nil
	case *array.CSC[T, int32]:
		if i < 0 || i >= s.Rows {
			panic(fmt.Sprintf("backends: frame %d out of range for a tile of %d frames", i, s.Rows))
		}
		f := &c.fcsc
		f.Rows, f.Cols = 1, s.Cols
		f.Indptr = append(f.Indptr[:0], 0)
		f.Indices = f.Indices[:0]
		f.Data = f.Data[:0]
		for j := 0; j < s.Cols; j++ {
			idx, val := s.Col(j)
			for k, r := range idx {
				if int(r) == i {
					f.Indices = append(f.Indices, 0)
					f.Data = append(f.Data, val[k])
				}
			}
			f.Indptr = append(f.Indptr, int32(len(f.Indices)))
		}
		return f, nil
	}
	return nil, fmt.Errorf("%w: frames of %T", ErrUnsupported, tile)
}

// ForBuf converts arr for assignment into the result buffer target, like the
// reference's forbuf: sparse arrays are densified (a new array) and the result is
// reshaped to target's shape (a view when possible). When target is not dense, arr is
// returned unchanged. Errors wrap array.ErrShape (different element counts) or
// ErrUnsupported (an array type it cannot reshape).
func ForBuf(arr, target array.Array) (array.Array, error) {
	if target == nil || target.Format() != array.FormatDense {
		return arr, nil
	}
	d, err := array.Densify(arr)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnsupported, err)
	}
	shape := target.Shape()
	if d.Size() != target.Size() {
		return nil, fmt.Errorf("%w: forbuf of an array of shape %v (%d elements) into a buffer of shape %v (%d elements)", array.ErrShape, d.Shape(), d.Size(), shape, target.Size())
	}
	switch x := d.(type) {
	case *array.Dense[float32]:
		return reshape(x, shape)
	case *array.Dense[float64]:
		return reshape(x, shape)
	case *array.Dense[int8]:
		return reshape(x, shape)
	case *array.Dense[int16]:
		return reshape(x, shape)
	case *array.Dense[int32]:
		return reshape(x, shape)
	case *array.Dense[int64]:
		return reshape(x, shape)
	case *array.Dense[uint8]:
		return reshape(x, shape)
	case *array.Dense[uint16]:
		return reshape(x, shape)
	case *array.Dense[uint32]:
		return reshape(x, shape)
	case *array.Dense[uint64]:
		return reshape(x, shape)
	case *array.Dense[complex64]:
		return reshape(x, shape)
	case *array.Dense[complex128]:
		return reshape(x, shape)
	case *array.Dense[bool]:
		return reshape(x, shape)
	case *array.Dense[string]:
		return reshape(x, shape)
	case *array.Dense[any]:
		return reshape(x, shape)
	}
	return nil, fmt.Errorf("%w: forbuf cannot reshape %T", ErrUnsupported, d)
}

func reshape[T any](d *array.Dense[T], shape []int) (array.Array, error) {
	if sameDims(d, shape) {
		return d, nil
	}
	return d.Reshape(shape...)
}

// TileConverter is the dtype-independent face of Converter, for engines that know the
// input dtype only at run time (NewConverterFor).
type TileConverter interface {
	// SetTile makes data the current tile (see Converter.SetTile).
	SetTile(data array.Array, shape []int)
	// Get returns the current tile in backend b (see Converter.Get).
	Get(b Backend) (array.Array, error)
	// Frame returns frame i of a tile returned by Get (see Converter.Frame).
	Frame(tile array.Array, i int) (array.Array, error)
}

var _ TileConverter = (*Converter[float32])(nil)

// NewConverterFor returns a Converter for tiles of dtype dt (any numeric dtype but
// bool). Errors wrap ErrUnsupported.
func NewConverterFor(dt array.DType) (TileConverter, error) {
	switch dt {
	case array.Float32:
		return NewConverter[float32](), nil
	case array.Float64:
		return NewConverter[float64](), nil
	case array.Int8:
		return NewConverter[int8](), nil
	case array.Int16:
		return NewConverter[int16](), nil
	case array.Int32:
		return NewConverter[int32](), nil
	case array.Int64:
		return NewConverter[int64](), nil
	case array.Uint8:
		return NewConverter[uint8](), nil
	case array.Uint16:
		return NewConverter[uint16](), nil
	case array.Uint32:
		return NewConverter[uint32](), nil
	case array.Uint64:
		return NewConverter[uint64](), nil
	case array.Complex64:
		return NewConverter[complex64](), nil
	case array.Complex128:
		return NewConverter[complex128](), nil
	}
	return nil, fmt.Errorf("%w: no converter for dtype %v", ErrUnsupported, dt)
}
