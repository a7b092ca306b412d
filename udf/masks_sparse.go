package udf

import (
	"errors"
	"fmt"
	"math"

	"github.com/stemflow/stemflow/array"
)

// ErrMasks is wrapped by errors about a MaskContainer's masks: sizes that do not fit
// the signal, a sparse stack of bool dtype, a stack too large for int32 indices.
var ErrMasks = errors.New("udf: bad mask stack")

// sigShape resolves the container's signal shape (see WithSigShape) and stores it.
func (c *MaskContainer) sigShape(parts []array.Array) []int {
	if c.sig != nil {
		return c.sig
	}
	pick := func(p array.Array) []int {
		s := p.Shape()
		switch {
		case p.Format() == array.FormatDense:
			return s[1:] // (n,)+sig, or (1,)+sig for a listed mask
		case c.stack != nil:
			return s[len(s)-1:] // (n, px): a 1-D signal
		}
		return s // a listed sparse mask has the signal's (2-D) shape
	}
	for _, p := range parts {
		if p.Format() == array.FormatDense {
			c.sig = pick(p)
			return c.sig
		}
	}
	c.sig = pick(parts[0])
	return c.sig
}

// sigShapeOf returns the resolved signal shape (after build).
func (c *MaskContainer) sigShapeOf(array.Array) []int { return c.sig }

func prod(s []int) int {
	n := 1
	for _, e := range s {
		n *= e
	}
	return n
}

// densifyMask returns a sparse mask (list form: one mask) or stack as a dense array
// shaped (k,)+sig.
func densifyMask(p array.Array, sig []int, list bool) (array.Array, error) {
	d, err := array.Densify(p)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMasks, err)
	}
	px := prod(sig)
	if px == 0 || d.Size()%px != 0 {
		return nil, fmt.Errorf("%w: mask of shape %v (%d elements) for a signal %v", ErrMasks, p.Shape(), d.Size(), sig)
	}
	if list && d.Size() != px {
		return nil, fmt.Errorf("%w: mask of shape %v (%d elements) for a signal %v of %d pixels", ErrMasks, p.Shape(), d.Size(), sig, px)
	}
	return reshapeDyn(d, append([]int{d.Size() / px}, sig...))
}

// buildSparse builds the CSR stack (n, prod(sig)) of dtype dt from the parts: each
// part (dense or sparse, any shape) holds Size()/prod(sig) masks in C order.
func buildSparse(parts []array.Array, dt array.DType, sig []int) (array.Array, error) {
	switch dt {
	case array.Float32:
		return buildSparseT[float32](parts, dt, sig)
	case array.Float64:
		return buildSparseT[float64](parts, dt, sig)
	case array.Complex64:
		return buildSparseT[complex64](parts, dt, sig)
	case array.Complex128:
		return buildSparseT[complex128](parts, dt, sig)
	case array.Int8:
		return buildSparseT[int8](parts, dt, sig)
	case array.Int16:
		return buildSparseT[int16](parts, dt, sig)
	case array.Int32:
		return buildSparseT[int32](parts, dt, sig)
	case array.Int64:
		return buildSparseT[int64](parts, dt, sig)
	case array.Uint8:
		return buildSparseT[uint8](parts, dt, sig)
	case array.Uint16:
		return buildSparseT[uint16](parts, dt, sig)
	case array.Uint32:
		return buildSparseT[uint32](parts, dt, sig)
	case array.Uint64:
		return buildSparseT[uint64](parts, dt, sig)
	}
	return nil, fmt.Errorf("%w: a sparse mask stack cannot have dtype %v (want a numeric, non-bool dtype)", ErrMasks, dt)
}

// cooList collects the stack's entries: mask index, pixel, value.
type cooList[T array.SparseValue] struct {
	rows, cols []int
	vals       []T
}

func (l *cooList[T]) add(flat int, v T, base, px int) {
	l.rows = append(l.rows, base+flat/px)
	l.cols = append(l.cols, flat%px)
	l.vals = append(l.vals, v)
}

func buildSparseT[T array.SparseValue](parts []array.Array, dt array.DType, sig []int) (array.Array, error) {
	px := prod(sig)
	if px == 0 {
		return nil, fmt.Errorf("%w: empty signal %v", ErrMasks, sig)
	}
	if int64(px) > math.MaxInt32 {
		return nil, fmt.Errorf("%w: signal %v has more than 2^31-1 pixels", ErrMasks, sig)
	}
	var l cooList[T]
	n := 0
	for i, p := range parts {
		if p.Size()%px != 0 {
			return nil, fmt.Errorf("%w: mask %d of shape %v (%d elements) for a signal %v of %d pixels", ErrMasks, i, p.Shape(), p.Size(), sig, px)
		}
		switch m := p.(type) {
		case *array.CSR[T, int32]:
			addCSR(&l, m.Rows, m.Cols, m.Indptr, m.Indices, m.Data, n, px, false)
		case *array.CSR[T, int64]:
			addCSR(&l, m.Rows, m.Cols, m.Indptr, m.Indices, m.Data, n, px, false)
		case *array.CSC[T, int32]:
			addCSR(&l, m.Cols, m.Rows, m.Indptr, m.Indices, m.Data, n, px, true)
		case *array.CSC[T, int64]:
			addCSR(&l, m.Cols, m.Rows, m.Indptr, m.Indices, m.Data, n, px, true)
		default:
			d, err := array.Densify(p)
			if err != nil {
				return nil, fmt.Errorf("%w: mask %d: %w", ErrMasks, i, err)
			}
			c, err := array.Convert(d, dt)
			if err != nil {
				return nil, fmt.Errorf("%w: mask %d: %w", ErrMasks, i, err)
			}
			var zero T
			for k, v := range c.(*array.Dense[T]).Contiguous().Data()[:c.Size()] {
				if v != zero {
					l.add(k, v, n, px)
				}
			}
		}
		n += p.Size() / px
	}
	if int64(len(l.vals)) > math.MaxInt32 {
		return nil, fmt.Errorf("%w: %d stored mask entries do not fit int32 indices", ErrMasks, len(l.vals))
	}
	m, err := array.CSRFromCOO[T, int32](n, px, l.rows, l.cols, l.vals)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMasks, err)
	}
	return m, nil
}

// addCSR adds the entries of a compressed matrix of nMajor×nMinor (CSR: rows×cols;
// CSC with colMajor: the major axis is the column) to l; element (i, j) of the matrix
// (rows i, cols j) is flat element i*cols + j.
func addCSR[T array.SparseValue, I array.SparseIndex](l *cooList[T], nMajor, nMinor int, indptr, indices []I, data []T, base, px int, colMajor bool) {
	for a := 0; a < nMajor; a++ {
		for k := indptr[a]; k < indptr[a+1]; k++ {
			b := int(indices[k])
			flat := a*nMinor + b
			if colMajor {
				// a is the column, b the row of a (rows=nMinor, cols=nMajor) matrix
				flat = b*nMajor + a
			}
			l.add(flat, data[k], base, px)
		}
	}
}

// cutSparse cuts the CSR stack (n, prod(sig)) to box: a CSR (n, boxPixels), or its
// transpose as CSC (boxPixels, n) sharing memory. A box covering the whole signal
// returns the stack itself (no copy).
func cutSparse(masks array.Array, sig []int, box array.Slice, transpose bool) (array.Array, error) {
	switch m := masks.(type) {
	case *array.CSR[float32, int32]:
		return cutSparseT(m, sig, box, transpose)
	case *array.CSR[float64, int32]:
		return cutSparseT(m, sig, box, transpose)
	case *array.CSR[complex64, int32]:
		return cutSparseT(m, sig, box, transpose)
	case *array.CSR[complex128, int32]:
		return cutSparseT(m, sig, box, transpose)
	case *array.CSR[int8, int32]:
		return cutSparseT(m, sig, box, transpose)
	case *array.CSR[int16, int32]:
		return cutSparseT(m, sig, box, transpose)
	case *array.CSR[int32, int32]:
		return cutSparseT(m, sig, box, transpose)
	case *array.CSR[int64, int32]:
		return cutSparseT(m, sig, box, transpose)
	case *array.CSR[uint8, int32]:
		return cutSparseT(m, sig, box, transpose)
	case *array.CSR[uint16, int32]:
		return cutSparseT(m, sig, box, transpose)
	case *array.CSR[uint32, int32]:
		return cutSparseT(m, sig, box, transpose)
	case *array.CSR[uint64, int32]:
		return cutSparseT(m, sig, box, transpose)
	}
	return nil, fmt.Errorf("%w: sparse stack of type %T", ErrMasks, masks)
}

func cutSparseT[T array.SparseValue](m *array.CSR[T, int32], sig []int, box array.Slice, transpose bool) (array.Array, error) {
	rg := box.Get()
	if len(rg) != len(sig) {
		return nil, fmt.Errorf("%w: box %v for a sparse mask stack over the signal %v", ErrSigSlice, box, sig)
	}
	full := true
	for a, r := range rg {
		if r.Start < 0 || r.Stop > sig[a] || r.Start > r.Stop {
			return nil, fmt.Errorf("%w: box %v outside the signal %v", ErrSigSlice, box, sig)
		}
		if r.Start != 0 || r.Stop != sig[a] {
			full = false
		}
	}
	out := m
	if !full {
		// column map: pixel → box column (C order in both, so columns stay sorted)
		px := prod(sig)
		colOf := make([]int32, px)
		for i := range colOf {
			colOf[i] = -1
		}
		idx := make([]int, len(sig))
		for i := range idx {
			idx[i] = rg[i].Start
		}
		bp := 1
		for _, r := range rg {
			bp *= r.Len()
		}
		for c := 0; c < bp; c++ {
			p := 0
			for a, j := range idx {
				p = p*sig[a] + j
			}
			colOf[p] = int32(c)
			for a := len(idx) - 1; a >= 0; a-- {
				idx[a]++
				if idx[a] < rg[a].Stop {
					break
				}
				idx[a] = rg[a].Start
			}
		}
		out = &array.CSR[T, int32]{Rows: m.Rows, Cols: bp, Indptr: make([]int32, m.Rows+1)}
		for r := 0; r < m.Rows; r++ {
			ix, v := m.Row(r)
			for k, p := range ix {
				if c := colOf[p]; c >= 0 {
					out.Indices = append(out.Indices, c)
					out.Data = append(out.Data, v[k])
				}
			}
			out.Indptr[r+1] = int32(len(out.Indices))
		}
	}
	if transpose {
		return out.T(), nil
	}
	return out, nil
}
