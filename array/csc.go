package array

import "fmt"

// CSC is a compressed-sparse-column matrix of shape (Rows, Cols) with values of type T
// and indices of type I: column j's entries are at [Indptr[j], Indptr[j+1]) of Indices
// (row numbers) and Data. It is an Array of Format FormatCSC. A mask stack in CSC form
// with one column per mask, shape (pixels, masks), is the layout the reference's
// MaskContainer hands to sparse dot products; the CSC storage of a (p, m) matrix is the
// CSR storage of its (m, p) transpose, so T converts between them without copying.
type CSC[T SparseValue, I SparseIndex] struct {
	Rows, Cols int
	Indptr     []I // len Cols+1; column j is [Indptr[j], Indptr[j+1])
	Indices    []I // row of each stored entry
	Data       []T // value of each stored entry

	borrowed borrowedSlices // see CSR
}

// NewCSC wraps an existing triple without copying after checking its structure (see
// NewCSR, with columns as the compressed dimension). Errors wrap ErrSparse.
func NewCSC[T SparseValue, I SparseIndex](rows, cols int, indptr, indices []I, data []T) (*CSC[T, I], error) {
	m := &CSC[T, I]{Rows: rows, Cols: cols, Indptr: indptr, Indices: indices, Data: data}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return m, nil
}

// CSCFromCOO builds a canonical CSC matrix (row indices sorted within each column,
// duplicates summed) from coordinate lists; see CSRFromCOO for the errors.
func CSCFromCOO[T SparseValue, I SparseIndex](rows, cols int, rowIdx, colIdx []int, vals []T) (*CSC[T, I], error) {
	indptr, indices, data, err := compress[T, I]("CSC", cols, rows, colIdx, rowIdx, vals)
	if err != nil {
		return nil, err
	}
	return &CSC[T, I]{Rows: rows, Cols: cols, Indptr: indptr, Indices: indices, Data: data}, nil
}

// CSCFromDense builds a canonical CSC matrix of the non-zero elements of d viewed as a
// matrix (shape (shape[0], prod(shape[1:])), see CSRFromDense).
func CSCFromDense[T SparseValue, I SparseIndex](d *Dense[T]) (*CSC[T, I], error) {
	m := &CSC[T, I]{}
	rows, cols := denseDims(d)
	if err := m.SetDense(d.Contiguous().Data(), rows, cols); err != nil {
		return nil, err
	}
	return m, nil
}

// SetDense makes m hold the non-zero elements of the row-major rows×cols matrix src,
// reusing m's slices when they have room. Errors as CSR.SetDense.
func (m *CSC[T, I]) SetDense(src []T, rows, cols int) error {
	if rows < 0 || cols < 0 || len(src) != rows*cols {
		return fmt.Errorf("%w: CSC from dense: %d elements for a %d×%d matrix", ErrShape, len(src), rows, cols)
	}
	lim := maxIndex[I]()
	if int64(rows) > lim {
		return fmt.Errorf("%w: CSC from dense: %d rows do not fit the index type (max %d)", ErrSparse, rows, lim)
	}
	var zero T
	release(&m.borrowed, &m.Indptr, &m.Indices, &m.Data)
	m.Indptr = grow(m.Indptr, cols+1)
	clear(m.Indptr)
	nnz := 0
	for i := 0; i < rows; i++ {
		for j, v := range src[i*cols : (i+1)*cols] {
			if v != zero {
				m.Indptr[j+1]++
				nnz++
			}
		}
	}
	if int64(nnz) > lim {
		return fmt.Errorf("%w: CSC from dense: %d stored entries do not fit the index type (max %d)", ErrSparse, nnz, lim)
	}
	for j := 0; j < cols; j++ {
		m.Indptr[j+1] += m.Indptr[j]
	}
	m.Indices = grow(m.Indices, nnz)
	m.Data = grow(m.Data, nnz)
	// Fill by rows in increasing order, so row indices come out sorted per column; use
	// Indptr as cursors and shift back afterwards.
	for i := 0; i < rows; i++ {
		for j, v := range src[i*cols : (i+1)*cols] {
			if v != zero {
				p := m.Indptr[j]
				m.Indices[p] = I(i)
				m.Data[p] = v
				m.Indptr[j] = p + 1
			}
		}
	}
	for j := cols; j > 0; j-- {
		m.Indptr[j] = m.Indptr[j-1]
	}
	m.Indptr[0] = 0
	m.Rows, m.Cols = rows, cols
	return nil
}

// SetCSR makes m hold the same matrix as src (same shape), converting from row to column
// compression and reusing m's slices when they have room. Row indices come out sorted
// within each column.
func (m *CSC[T, I]) SetCSR(src *CSR[T, I]) {
	release(&m.borrowed, &m.Indptr, &m.Indices, &m.Data)
	transposeCompressed(src.Rows, src.Cols, src.Indptr, src.Indices, src.Data, &m.Indptr, &m.Indices, &m.Data)
	m.Rows, m.Cols = src.Rows, src.Cols
}

// DType returns the dtype of T.
func (m *CSC[T, I]) DType() DType { return DTypeOf[T]() }

// Shape returns (Rows, Cols).
func (m *CSC[T, I]) Shape() []int { return []int{m.Rows, m.Cols} }

// Dims returns the number of rows and columns without allocating.
func (m *CSC[T, I]) Dims() (rows, cols int) { return m.Rows, m.Cols }

// Size returns Rows*Cols.
func (m *CSC[T, I]) Size() int { return m.Rows * m.Cols }

// Format returns FormatCSC.
func (m *CSC[T, I]) Format() Format { return FormatCSC }

// NNZ returns the number of stored entries.
func (m *CSC[T, I]) NNZ() int {
	if len(m.Indptr) == 0 {
		return 0
	}
	return int(m.Indptr[len(m.Indptr)-1])
}

// Validate checks the structural invariants. Errors wrap ErrSparse.
func (m *CSC[T, I]) Validate() error {
	return checkStructure("CSC", m.Cols, m.Rows, m.Indptr, m.Indices, m.Data, true)
}

// IsCanonical reports whether every column has strictly increasing row indices.
func (m *CSC[T, I]) IsCanonical() bool { return sortedUnique(m.Indptr, m.Indices) }

// Col returns the row indices and values stored for column j, as views into m. It
// panics if j is out of range.
func (m *CSC[T, I]) Col(j int) ([]I, []T) {
	a, b := m.Indptr[j], m.Indptr[j+1]
	return m.Indices[a:b], m.Data[a:b]
}

// At returns element (i, j). It panics if i or j is out of range.
func (m *CSC[T, I]) At(i, j int) T {
	if i < 0 || i >= m.Rows || j < 0 || j >= m.Cols {
		panic(fmt.Sprintf("array: CSC index (%d, %d) out of range for shape (%d, %d)", i, j, m.Rows, m.Cols))
	}
	var s T
	idx, val := m.Col(j)
	for k, r := range idx {
		if int(r) == i {
			s += val[k]
		}
	}
	return s
}

// T returns the transpose as a CSR matrix sharing m's memory (no copy).
func (m *CSC[T, I]) T() *CSR[T, I] {
	return &CSR[T, I]{Rows: m.Cols, Cols: m.Rows, Indptr: m.Indptr, Indices: m.Indices, Data: m.Data,
		borrowed: borrowedSlices{true, true, true}}
}

// ToCSR returns the same matrix in row compression (a copy).
func (m *CSC[T, I]) ToCSR() *CSR[T, I] {
	r := &CSR[T, I]{}
	r.SetCSC(m)
	return r
}

// ToCSC returns the same matrix in column compression (a copy).
func (m *CSR[T, I]) ToCSC() *CSC[T, I] {
	c := &CSC[T, I]{}
	c.SetCSR(m)
	return c
}

// Clone returns a deep copy of m.
func (m *CSC[T, I]) Clone() *CSC[T, I] {
	nnz := m.NNZ()
	return &CSC[T, I]{
		Rows: m.Rows, Cols: m.Cols,
		Indptr:  append([]I(nil), m.Indptr...),
		Indices: append([]I(nil), m.Indices[:nnz]...),
		Data:    append([]T(nil), m.Data[:nnz]...),
	}
}

// SumAxis0 writes the column sums (length Cols) into dst and returns it; nil dst is
// allocated. It panics if a non-nil dst has another length.
func (m *CSC[T, I]) SumAxis0(dst []T) []T {
	return m.T().SumAxis1(dst)
}

// AddSumAxis0 adds the column sums (length Cols) to dst. It panics if len(dst) != Cols.
func (m *CSC[T, I]) AddSumAxis0(dst []T) { m.T().AddSumAxis1(dst) }

// SumAxis1 writes the row sums (length Rows) into dst and returns it; nil dst is
// allocated. It panics if a non-nil dst has another length.
func (m *CSC[T, I]) SumAxis1(dst []T) []T { return m.T().SumAxis0(dst) }

// AddSumAxis1 adds the row sums (length Rows) to dst. It panics if len(dst) != Rows.
func (m *CSC[T, I]) AddSumAxis1(dst []T) { m.T().AddSumAxis0(dst) }

// Sum returns the sum of all elements.
func (m *CSC[T, I]) Sum() T { return m.T().Sum() }

// ToDense returns the matrix as a new C-contiguous Dense of shape (Rows, Cols).
func (m *CSC[T, I]) ToDense() *Dense[T] {
	out := make([]T, m.Rows*m.Cols)
	m.densify(out)
	return Wrap(out, m.Rows, m.Cols)
}

// DensifyInto writes the matrix row-major into dst, which must be C-contiguous and hold
// exactly Rows*Cols elements in any shape. It returns an error wrapping ErrShape
// otherwise.
func (m *CSC[T, I]) DensifyInto(dst *Dense[T]) error {
	if dst.Size() != m.Rows*m.Cols || !dst.IsContiguous() {
		return fmt.Errorf("%w: CSC (%d, %d) densify into a destination of shape %v (contiguous: %v), want %d contiguous elements", ErrShape, m.Rows, m.Cols, dst.Shape(), dst.IsContiguous(), m.Rows*m.Cols)
	}
	m.densify(dst.Data()[:m.Rows*m.Cols])
	return nil
}

// DensifyRaw writes the matrix row-major into dst (len Rows*Cols). It returns an error
// wrapping ErrShape when the length differs.
func (m *CSC[T, I]) DensifyRaw(dst []T) error {
	if len(dst) != m.Rows*m.Cols {
		return fmt.Errorf("%w: CSC (%d, %d) densify into %d elements, want %d", ErrShape, m.Rows, m.Cols, len(dst), m.Rows*m.Cols)
	}
	m.densify(dst)
	return nil
}

func (m *CSC[T, I]) densify(dst []T) {
	clear(dst)
	for j := 0; j < m.Cols; j++ {
		idx, val := m.Col(j)
		for k, i := range idx {
			dst[int(i)*m.Cols+j] += val[k]
		}
	}
}

// Scale multiplies every element by alpha, in place (never on a dataset's tile).
func (m *CSC[T, I]) Scale(alpha T) { m.T().Scale(alpha) }

// ScaleInto makes dst alpha·m, sharing m's structure and reusing dst's Data.
func (m *CSC[T, I]) ScaleInto(dst *CSC[T, I], alpha T) {
	nnz := m.NNZ()
	release(&dst.borrowed, &dst.Indptr, &dst.Indices, &dst.Data)
	dst.Rows, dst.Cols = m.Rows, m.Cols
	dst.Indptr = m.Indptr
	dst.Indices = m.Indices[:nnz:nnz]
	dst.Data = grow(dst.Data, nnz)
	for k, v := range m.Data[:nnz] {
		dst.Data[k] = v * alpha
	}
	dst.borrowed = borrowedSlices{indptr: true, indices: true}
}
