package array

import (
	"fmt"
)

// CSR is a compressed-sparse-row matrix of shape (Rows, Cols) with values of type T and
// indices of type I (see the storage conventions in sparse.go). Its fields are exported
// so that hot loops can range over them directly, as image.RGBA's Pix is; code that
// builds a CSR by hand should call Validate.
//
// A CSR is an Array of Format FormatCSR. Methods that read never modify the matrix;
// methods named ...Into (and SetDense, SetCSC) write into a caller-given destination,
// reusing its memory, so that per-tile work allocates nothing in steady state. A
// destination remembers which of its slices are views into another matrix (after
// SliceRowsInto, ScaleInto, T): later writes replace those slices instead of writing
// through them, so reusing a destination never modifies a source.
type CSR[T SparseValue, I SparseIndex] struct {
	Rows, Cols int
	Indptr     []I // len Rows+1; row i is [Indptr[i], Indptr[i+1])
	Indices    []I // column of each stored entry
	Data       []T // value of each stored entry

	// borrowed marks slices that are views into another matrix (set by SliceRowsInto,
	// ScaleInto, T, ...): methods writing into m replace them instead of reusing them,
	// so that writing into a destination never modifies the matrix it was a view of.
	borrowed borrowedSlices
}

// NewCSR wraps an existing triple without copying after checking its structure (lengths,
// Indptr starting at 0 and non-decreasing, Indptr[Rows] == len(Indices) == len(Data),
// every index in [0, cols)). Errors wrap ErrSparse.
func NewCSR[T SparseValue, I SparseIndex](rows, cols int, indptr, indices []I, data []T) (*CSR[T, I], error) {
	m := &CSR[T, I]{Rows: rows, Cols: cols, Indptr: indptr, Indices: indices, Data: data}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return m, nil
}

// ZerosCSR returns an all-zero rows×cols CSR matrix (no stored entries).
func ZerosCSR[T SparseValue, I SparseIndex](rows, cols int) *CSR[T, I] {
	return &CSR[T, I]{Rows: rows, Cols: cols, Indptr: make([]I, rows+1)}
}

// CSRFromCOO builds a canonical CSR matrix (column indices sorted within each row,
// duplicates summed, as scipy's coo→csr conversion does) from coordinate lists:
// entry k is value vals[k] at (rowIdx[k], colIdx[k]). Errors wrap ErrSparse: lists of
// different lengths, a coordinate outside the shape, or a shape or entry count that
// does not fit index type I.
func CSRFromCOO[T SparseValue, I SparseIndex](rows, cols int, rowIdx, colIdx []int, vals []T) (*CSR[T, I], error) {
	indptr, indices, data, err := compress[T, I]("CSR", rows, cols, rowIdx, colIdx, vals)
	if err != nil {
		return nil, err
	}
	return &CSR[T, I]{Rows: rows, Cols: cols, Indptr: indptr, Indices: indices, Data: data}, nil
}

// CSRFromDense builds a canonical CSR matrix holding the non-zero elements of d viewed
// as a matrix: shape (shape[0], prod(shape[1:])), a 1-D array is one row, a 0-D array
// 1×1. Any strides are accepted. Errors wrap ErrSparse when the matrix does not fit
// index type I.
func CSRFromDense[T SparseValue, I SparseIndex](d *Dense[T]) (*CSR[T, I], error) {
	m := &CSR[T, I]{}
	rows, cols := denseDims(d)
	if err := m.SetDense(d.Contiguous().Data(), rows, cols); err != nil {
		return nil, err
	}
	return m, nil
}

// SetDense makes m hold the non-zero elements of the row-major rows×cols matrix src,
// reusing m's slices when they have room. It returns an error wrapping ErrShape when
// len(src) != rows*cols, or ErrSparse when the result does not fit index type I.
func (m *CSR[T, I]) SetDense(src []T, rows, cols int) error {
	if rows < 0 || cols < 0 || len(src) != rows*cols {
		return fmt.Errorf("%w: CSR from dense: %d elements for a %d×%d matrix", ErrShape, len(src), rows, cols)
	}
	lim := maxIndex[I]()
	if int64(cols) > lim {
		return fmt.Errorf("%w: CSR from dense: %d columns do not fit the index type (max %d)", ErrSparse, cols, lim)
	}
	var zero T
	nnz := 0
	for _, v := range src {
		if v != zero {
			nnz++
		}
	}
	if int64(nnz) > lim {
		return fmt.Errorf("%w: CSR from dense: %d stored entries do not fit the index type (max %d)", ErrSparse, nnz, lim)
	}
	m.Rows, m.Cols = rows, cols
	release(&m.borrowed, &m.Indptr, &m.Indices, &m.Data)
	m.Indptr = grow(m.Indptr, rows+1)
	m.Indices = grow(m.Indices, nnz)
	m.Data = grow(m.Data, nnz)
	k := 0
	m.Indptr[0] = 0
	for i := 0; i < rows; i++ {
		row := src[i*cols : (i+1)*cols]
		for j, v := range row {
			if v != zero {
				m.Indices[k] = I(j)
				m.Data[k] = v
				k++
			}
		}
		m.Indptr[i+1] = I(k)
	}
	return nil
}

// SetCSC makes m hold the same matrix as src (same shape), converting from column to row
// compression and reusing m's slices when they have room. The result has sorted column
// indices; duplicates in src stay duplicates.
func (m *CSR[T, I]) SetCSC(src *CSC[T, I]) {
	release(&m.borrowed, &m.Indptr, &m.Indices, &m.Data)
	transposeCompressed(src.Cols, src.Rows, src.Indptr, src.Indices, src.Data, &m.Indptr, &m.Indices, &m.Data)
	m.Rows, m.Cols = src.Rows, src.Cols
}

// transposeCompressed converts a compressed triple with nMajor slices over nMinor
// positions into the triple of the transposed compression (nMinor slices over nMajor
// positions), writing into the destination slices (grown as needed).
func transposeCompressed[T SparseValue, I SparseIndex](nMajor, nMinor int, indptr, indices []I, data []T, dIndptr, dIndices *[]I, dData *[]T) {
	nnz := int(indptr[nMajor])
	ip := grow(*dIndptr, nMinor+1)
	ix := grow(*dIndices, nnz)
	dt := grow(*dData, nnz)
	clear(ip)
	for _, j := range indices[:nnz] {
		ip[j+1]++
	}
	for j := 0; j < nMinor; j++ {
		ip[j+1] += ip[j]
	}
	// ip[j] is now the start of slice j; use it as a cursor and shift back afterwards.
	for i := 0; i < nMajor; i++ {
		for k := indptr[i]; k < indptr[i+1]; k++ {
			j := indices[k]
			p := ip[j]
			ix[p] = I(i)
			dt[p] = data[k]
			ip[j] = p + 1
		}
	}
	for j := nMinor; j > 0; j-- {
		ip[j] = ip[j-1]
	}
	ip[0] = 0
	*dIndptr, *dIndices, *dData = ip, ix, dt
}

// DType returns the dtype of T.
func (m *CSR[T, I]) DType() DType { return DTypeOf[T]() }

// Shape returns (Rows, Cols).
func (m *CSR[T, I]) Shape() []int { return []int{m.Rows, m.Cols} }

// Dims returns the number of rows and columns without allocating.
func (m *CSR[T, I]) Dims() (rows, cols int) { return m.Rows, m.Cols }

// Size returns Rows*Cols, the number of elements of the dense equivalent.
func (m *CSR[T, I]) Size() int { return m.Rows * m.Cols }

// Format returns FormatCSR.
func (m *CSR[T, I]) Format() Format { return FormatCSR }

// NNZ returns the number of stored entries (explicit zeros and duplicates included).
func (m *CSR[T, I]) NNZ() int {
	if len(m.Indptr) == 0 {
		return 0
	}
	return int(m.Indptr[len(m.Indptr)-1])
}

// Validate checks the structural invariants (see NewCSR). Errors wrap ErrSparse.
func (m *CSR[T, I]) Validate() error {
	return checkStructure("CSR", m.Rows, m.Cols, m.Indptr, m.Indices, m.Data, true)
}

// IsCanonical reports whether every row has strictly increasing column indices (sorted,
// no duplicates).
func (m *CSR[T, I]) IsCanonical() bool { return sortedUnique(m.Indptr, m.Indices) }

// Row returns the column indices and values stored for row i, as views into m. It
// panics if i is out of range.
func (m *CSR[T, I]) Row(i int) ([]I, []T) {
	a, b := m.Indptr[i], m.Indptr[i+1]
	return m.Indices[a:b], m.Data[a:b]
}

// At returns element (i, j) (the sum of its stored entries; 0 if none). It panics if i
// or j is out of range.
func (m *CSR[T, I]) At(i, j int) T {
	if i < 0 || i >= m.Rows || j < 0 || j >= m.Cols {
		panic(fmt.Sprintf("array: CSR index (%d, %d) out of range for shape (%d, %d)", i, j, m.Rows, m.Cols))
	}
	var s T
	idx, val := m.Row(i)
	for k, c := range idx {
		if int(c) == j {
			s += val[k]
		}
	}
	return s
}

// T returns the transpose as a CSC matrix sharing m's memory (no copy): the CSR storage
// of an r×c matrix is the CSC storage of its c×r transpose.
func (m *CSR[T, I]) T() *CSC[T, I] {
	return &CSC[T, I]{Rows: m.Cols, Cols: m.Rows, Indptr: m.Indptr, Indices: m.Indices, Data: m.Data,
		borrowed: borrowedSlices{true, true, true}}
}

// Clone returns a deep copy of m.
func (m *CSR[T, I]) Clone() *CSR[T, I] {
	nnz := m.NNZ()
	return &CSR[T, I]{
		Rows: m.Rows, Cols: m.Cols,
		Indptr:  append([]I(nil), m.Indptr...),
		Indices: append([]I(nil), m.Indices[:nnz]...),
		Data:    append([]T(nil), m.Data[:nnz]...),
	}
}

// SliceRows returns rows [a, b) as a new matrix of shape (b-a, Cols). Indices and Data
// are views into m (no copy); only the re-based Indptr (b-a+1 entries) is new. It panics
// if 0 <= a <= b <= Rows does not hold.
func (m *CSR[T, I]) SliceRows(a, b int) *CSR[T, I] {
	dst := &CSR[T, I]{}
	m.SliceRowsInto(dst, a, b)
	return dst
}

// SliceRowsInto makes dst rows [a, b) of m: Indices and Data are views into m, Indptr is
// re-based (indptr − indptr[a]) into dst's own Indptr slice, reused when it has room, so
// that slicing a tile per frame allocates nothing. dst must not be m. It panics if
// 0 <= a <= b <= Rows does not hold.
func (m *CSR[T, I]) SliceRowsInto(dst *CSR[T, I], a, b int) {
	if a < 0 || b < a || b > m.Rows {
		panic(fmt.Sprintf("array: CSR row slice [%d, %d) out of range for %d rows", a, b, m.Rows))
	}
	if dst == m {
		panic("array: CSR.SliceRowsInto: dst is the source matrix")
	}
	base := m.Indptr[a]
	end := m.Indptr[b]
	release(&dst.borrowed, &dst.Indptr, &dst.Indices, &dst.Data)
	dst.Indptr = grow(dst.Indptr, b-a+1)
	for i, p := range m.Indptr[a : b+1] {
		dst.Indptr[i] = p - base
	}
	dst.Rows, dst.Cols = b-a, m.Cols
	dst.Indices = m.Indices[base:end:end]
	dst.Data = m.Data[base:end:end]
	dst.borrowed = borrowedSlices{indices: true, data: true}
}

// GatherRows returns a new matrix whose row k is row rows[k] of m (rows may repeat and
// come in any order). It panics if an entry of rows is out of range.
func (m *CSR[T, I]) GatherRows(rows []int) *CSR[T, I] {
	dst := &CSR[T, I]{}
	m.GatherRowsInto(dst, rows)
	return dst
}

// GatherRowsInto makes dst the matrix whose row k is row rows[k] of m, copying the
// entries into dst's slices (reused when they have room). dst must not be m. It panics
// if an entry of rows is out of range.
func (m *CSR[T, I]) GatherRowsInto(dst *CSR[T, I], rows []int) {
	nnz := 0
	for _, r := range rows {
		if r < 0 || r >= m.Rows {
			panic(fmt.Sprintf("array: CSR gather: row %d out of range for %d rows", r, m.Rows))
		}
		nnz += int(m.Indptr[r+1] - m.Indptr[r])
	}
	release(&dst.borrowed, &dst.Indptr, &dst.Indices, &dst.Data)
	dst.Indptr = grow(dst.Indptr, len(rows)+1)
	dst.Indices = grow(dst.Indices, nnz)
	dst.Data = grow(dst.Data, nnz)
	dst.Indptr[0] = 0
	k := 0
	for i, r := range rows {
		a, b := m.Indptr[r], m.Indptr[r+1]
		k += copy(dst.Indices[k:], m.Indices[a:b])
		copy(dst.Data[k-int(b-a):], m.Data[a:b])
		dst.Indptr[i+1] = I(k)
	}
	dst.Rows, dst.Cols = len(rows), m.Cols
}

// SelectRowsInto makes dst the matrix of the rows i of m with keep[i] true, in order
// (the ROI gather: selected frames, compressed). Entries are copied into dst's slices,
// reused when they have room. It returns an error wrapping ErrShape when
// len(keep) != Rows.
func (m *CSR[T, I]) SelectRowsInto(dst *CSR[T, I], keep []bool) error {
	if len(keep) != m.Rows {
		return fmt.Errorf("%w: CSR row selection has %d entries for %d rows", ErrShape, len(keep), m.Rows)
	}
	nnz, n := 0, 0
	for i, k := range keep {
		if k {
			nnz += int(m.Indptr[i+1] - m.Indptr[i])
			n++
		}
	}
	release(&dst.borrowed, &dst.Indptr, &dst.Indices, &dst.Data)
	dst.Indptr = grow(dst.Indptr, n+1)
	dst.Indices = grow(dst.Indices, nnz)
	dst.Data = grow(dst.Data, nnz)
	dst.Indptr[0] = 0
	k, r := 0, 0
	for i, sel := range keep {
		if !sel {
			continue
		}
		a, b := m.Indptr[i], m.Indptr[i+1]
		copy(dst.Indices[k:], m.Indices[a:b])
		copy(dst.Data[k:], m.Data[a:b])
		k += int(b - a)
		r++
		dst.Indptr[r] = I(k)
	}
	dst.Rows, dst.Cols = n, m.Cols
	return nil
}

// SumAxis0 writes the column sums (numpy sum(axis=0), length Cols) into dst and returns
// it; a nil dst is allocated. It panics if a non-nil dst has another length.
func (m *CSR[T, I]) SumAxis0(dst []T) []T {
	dst = zeroedDst(dst, m.Cols, "SumAxis0")
	m.AddSumAxis0(dst)
	return dst
}

// AddSumAxis0 adds the column sums (sum over rows, length Cols) to dst — the `+=` of a
// sum over frames. It panics if len(dst) != Cols.
func (m *CSR[T, I]) AddSumAxis0(dst []T) {
	if len(dst) != m.Cols {
		panic(fmt.Sprintf("array: CSR.AddSumAxis0: dst has length %d, want %d", len(dst), m.Cols))
	}
	nnz := m.NNZ()
	idx := m.Indices[:nnz]
	val := m.Data[:nnz]
	for k, j := range idx {
		dst[j] += val[k]
	}
}

// SumAxis1 writes the row sums (numpy sum(axis=1), length Rows) into dst and returns it;
// a nil dst is allocated. It panics if a non-nil dst has another length.
func (m *CSR[T, I]) SumAxis1(dst []T) []T {
	dst = zeroedDst(dst, m.Rows, "SumAxis1")
	m.AddSumAxis1(dst)
	return dst
}

// zeroedDst returns dst cleared, or a new slice of n zeros when dst is nil, for the
// CSR method named op. It panics if a non-nil dst does not have length n.
func zeroedDst[T SparseValue](dst []T, n int, op string) []T {
	if dst == nil {
		return make([]T, n)
	}
	if len(dst) != n {
		panic(fmt.Sprintf("array: CSR.%s: dst has length %d, want %d", op, len(dst), n))
	}
	clear(dst)
	return dst
}

// AddSumAxis1 adds the row sums (sum over columns, length Rows) to dst — the `+=` of a
// sum over the signal. It panics if len(dst) != Rows.
func (m *CSR[T, I]) AddSumAxis1(dst []T) {
	if len(dst) != m.Rows {
		panic(fmt.Sprintf("array: CSR.AddSumAxis1: dst has length %d, want %d", len(dst), m.Rows))
	}
	for i := 0; i < m.Rows; i++ {
		var s0, s1 T
		row := m.Data[m.Indptr[i]:m.Indptr[i+1]]
		k := 0
		for ; k+1 < len(row); k += 2 {
			s0 += row[k]
			s1 += row[k+1]
		}
		if k < len(row) {
			s0 += row[k]
		}
		dst[i] += s0 + s1
	}
}

// Sum returns the sum of all elements.
func (m *CSR[T, I]) Sum() T {
	var s T
	for _, v := range m.Data[:m.NNZ()] {
		s += v
	}
	return s
}

// ToDense returns the matrix as a new C-contiguous Dense of shape (Rows, Cols).
func (m *CSR[T, I]) ToDense() *Dense[T] {
	out := make([]T, m.Rows*m.Cols)
	m.densify(out)
	return Wrap(out, m.Rows, m.Cols)
}

// DensifyInto writes the matrix into dst, which must be C-contiguous and hold exactly
// Rows*Cols elements in any shape (a (depth, sy, sx) tile buffer for a (depth, sy*sx)
// CSR tile, for example): elements are laid out row-major, implicit zeros written as 0.
// It returns an error wrapping ErrShape otherwise.
func (m *CSR[T, I]) DensifyInto(dst *Dense[T]) error {
	if dst.Size() != m.Rows*m.Cols || !dst.IsContiguous() {
		return fmt.Errorf("%w: CSR (%d, %d) densify into a destination of shape %v (contiguous: %v), want %d contiguous elements", ErrShape, m.Rows, m.Cols, dst.Shape(), dst.IsContiguous(), m.Rows*m.Cols)
	}
	m.densify(dst.Data()[:m.Rows*m.Cols])
	return nil
}

// DensifyRaw writes the matrix row-major into dst (len Rows*Cols). It returns an error
// wrapping ErrShape when the length differs.
func (m *CSR[T, I]) DensifyRaw(dst []T) error {
	if len(dst) != m.Rows*m.Cols {
		return fmt.Errorf("%w: CSR (%d, %d) densify into %d elements, want %d", ErrShape, m.Rows, m.Cols, len(dst), m.Rows*m.Cols)
	}
	m.densify(dst)
	return nil
}

func (m *CSR[T, I]) densify(dst []T) {
	clear(dst)
	for i := 0; i < m.Rows; i++ {
		row := dst[i*m.Cols : (i+1)*m.Cols]
		idx, val := m.Row(i)
		for k, j := range idx {
			row[j] += val[k]
		}
	}
}

// Scale multiplies every element by alpha, in place. Tiles handed out by datasets must
// never be modified: use ScaleInto for them.
func (m *CSR[T, I]) Scale(alpha T) {
	for k := range m.Data[:m.NNZ()] {
		m.Data[k] *= alpha
	}
}

// ScaleInto makes dst alpha·m: dst shares m's Indptr and Indices (read-only structure)
// and gets its own Data, reused when it has room. dst must not be m.
func (m *CSR[T, I]) ScaleInto(dst *CSR[T, I], alpha T) {
	nnz := m.NNZ()
	release(&dst.borrowed, &dst.Indptr, &dst.Indices, &dst.Data)
	dst.Rows, dst.Cols = m.Rows, m.Cols
	dst.Indptr = m.Indptr
	dst.Indices = m.Indices[:nnz:nnz]
	dst.Data = grow(dst.Data, nnz)
	dst.borrowed = borrowedSlices{indptr: true, indices: true}
	for k, v := range m.Data[:nnz] {
		dst.Data[k] = v * alpha
	}
}

// RowMin returns the minimum of row i of the dense equivalent: implicit zeros take part,
// so a row with fewer stored entries than Cols has a minimum of at most 0. Duplicates
// are not summed first (rows from CSRFromCOO, CSRFromDense and raw_csr files written by
// scipy have none). It panics if i is out of range. Only real value types make sense.
func RowMin[T SparseFloat, I SparseIndex](m *CSR[T, I], i int) T {
	idx, val := m.Row(i)
	var mn T
	if len(idx) >= m.Cols && len(val) > 0 {
		mn = val[0]
	}
	for _, v := range val {
		if v < mn {
			mn = v
		}
	}
	return mn
}
