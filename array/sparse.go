package array

// Sparse matrices: CSR and CSC.
//
// stemflow's sparse types are written here on plain slices (DESIGN.md, "Sparse": no
// usable Go sparse module could be obtained). They follow scipy's storage conventions so
// that raw_csr files and users' mental models carry over unchanged:
//
//   - A CSR matrix of shape (Rows, Cols) stores row i's entries at positions
//     [Indptr[i], Indptr[i+1]) of Indices (column numbers) and Data (values).
//   - A CSC matrix of shape (Rows, Cols) stores column j's entries at positions
//     [Indptr[j], Indptr[j+1]) of Indices (row numbers) and Data.
//   - Indptr[0] is 0 and Indptr is non-decreasing; len(Indptr) is Rows+1 (CSR) or
//     Cols+1 (CSC); Indptr[last] == len(Indices) == len(Data).
//   - Entries that are not stored are zero ("implicit zeros"). Duplicate entries are
//     allowed, as in scipy, and mean their sum; indices within a row (column) need not be
//     sorted. Constructors in this package produce canonical matrices (sorted, no
//     duplicates); Validate checks the structural invariants.
//
// Sparse matrices are always 2-D. A stack of frames is (frames, prod(sig)); one frame is
// (1, prod(sig)), as for scipy's matrices in the reference.

import (
	"errors"
	"fmt"
	"math"
	"unsafe"
)

// SparseValue is the constraint on the element type of CSR and CSC matrices: every
// numeric Go type stemflow has a dtype for, except bool.
type SparseValue interface {
	~int8 | ~int16 | ~int32 | ~int64 | ~uint8 | ~uint16 | ~uint32 | ~uint64 |
		~float32 | ~float64 | ~complex64 | ~complex128
}

// SparseFloat is the constraint for the sparse operations that need real floating
// point, such as log scaling.
type SparseFloat interface {
	~float32 | ~float64
}

// SparseIndex is the constraint on the index type of CSR and CSC matrices (Indptr and
// Indices). int32 is what raw_csr files and scipy use for all but huge matrices.
type SparseIndex interface {
	~int32 | ~int64
}

// ErrSparse is wrapped by every error about a malformed sparse matrix: wrong slice
// lengths, an Indptr that is not monotonic or does not start at 0, indices out of
// range, or coordinates that do not fit the index type.
var ErrSparse = errors.New("invalid sparse matrix")

// ErrDensifies is returned by operations on sparse matrices whose result would not be
// sparse any more (for example log scaling a row that has implicit zeros and a negative
// minimum: the implicit zeros become non-zero).
var ErrDensifies = errors.New("result of sparse operation is not sparse")

// maxIndex returns the largest value of index type I.
func maxIndex[I SparseIndex]() int64 {
	var z I
	if unsafe.Sizeof(z) == 4 {
		return math.MaxInt32
	}
	return math.MaxInt64
}

// checkStructure validates an Indptr/Indices/Data triple for a compressed matrix with
// n major slices (rows for CSR, columns for CSC) and m minor positions. what is "CSR" or
// "CSC" and goes into error messages.
func checkStructure[T SparseValue, I SparseIndex](what string, n, m int, indptr, indices []I, data []T, checkIndices bool) error {
	if n < 0 || m < 0 {
		return fmt.Errorf("%w: %s shape (%d, %d) has a negative extent", ErrSparse, what, n, m)
	}
	if len(indptr) != n+1 {
		return fmt.Errorf("%w: %s indptr has length %d, want %d (major dimension + 1)", ErrSparse, what, len(indptr), n+1)
	}
	if len(indices) != len(data) {
		return fmt.Errorf("%w: %s indices has length %d but data has length %d, want equal", ErrSparse, what, len(indices), len(data))
	}
	if indptr[0] != 0 {
		return fmt.Errorf("%w: %s indptr[0] is %d, want 0", ErrSparse, what, indptr[0])
	}
	for i := 0; i < n; i++ {
		if indptr[i+1] < indptr[i] {
			return fmt.Errorf("%w: %s indptr decreases at position %d (%d > %d), want non-decreasing", ErrSparse, what, i+1, indptr[i], indptr[i+1])
		}
	}
	if int64(indptr[n]) != int64(len(indices)) {
		return fmt.Errorf("%w: %s indptr[%d] is %d, want %d (the number of stored entries)", ErrSparse, what, n, indptr[n], len(indices))
	}
	if checkIndices {
		for k, ix := range indices {
			if ix < 0 || int64(ix) >= int64(m) {
				return fmt.Errorf("%w: %s indices[%d] is %d, want 0 <= index < %d", ErrSparse, what, k, ix, m)
			}
		}
	}
	return nil
}

// sortedUnique reports whether every major slice of the triple has strictly increasing
// minor indices (canonical form: sorted, no duplicates).
func sortedUnique[I SparseIndex](indptr, indices []I) bool {
	for i := 0; i+1 < len(indptr); i++ {
		row := indices[indptr[i]:indptr[i+1]]
		for k := 1; k < len(row); k++ {
			if row[k] <= row[k-1] {
				return false
			}
		}
	}
	return true
}

// compress builds a compressed triple (major slices × minor positions) from coordinate
// lists, sorting entries within each major slice and summing duplicates. It returns
// fresh slices.
func compress[T SparseValue, I SparseIndex](what string, nMajor, nMinor int, major, minor []int, vals []T) ([]I, []I, []T, error) {
	if nMajor < 0 || nMinor < 0 {
		return nil, nil, nil, fmt.Errorf("%w: %s shape has a negative extent", ErrSparse, what)
	}
	if len(major) != len(minor) || len(major) != len(vals) {
		return nil, nil, nil, fmt.Errorf("%w: %s COO input has %d row, %d column and %d value entries, want equal lengths", ErrSparse, what, len(major), len(minor), len(vals))
	}
	lim := maxIndex[I]()
	if int64(nMinor) > lim || int64(len(vals)) > lim {
		return nil, nil, nil, fmt.Errorf("%w: %s with %d entries and minor extent %d does not fit its index type (max %d)", ErrSparse, what, len(vals), nMinor, lim)
	}
	counts := make([]I, nMajor+1)
	for k := range major {
		if major[k] < 0 || major[k] >= nMajor || minor[k] < 0 || minor[k] >= nMinor {
			return nil, nil, nil, fmt.Errorf("%w: %s COO entry %d at (%d, %d) is outside the shape", ErrSparse, what, k, major[k], minor[k])
		}
		counts[major[k]+1]++
	}
	for i := 0; i < nMajor; i++ {
		counts[i+1] += counts[i]
	}
	// Counting sort by major, then by minor inside each slice via a second pass.
	order := make([]int, len(vals))
	next := make([]I, nMajor)
	copy(next, counts[:nMajor])
	for k := range major {
		order[next[major[k]]] = k
		next[major[k]]++
	}
	indptr := make([]I, nMajor+1)
	indices := make([]I, 0, len(vals))
	data := make([]T, 0, len(vals))
	for i := 0; i < nMajor; i++ {
		seg := order[counts[i]:counts[i+1]]
		sortByMinor(seg, minor)
		for k, e := range seg {
			if k > 0 && minor[e] == minor[seg[k-1]] {
				data[len(data)-1] += vals[e]
				continue
			}
			indices = append(indices, I(minor[e]))
			data = append(data, vals[e])
		}
		indptr[i+1] = I(len(indices))
	}
	return indptr, indices, data, nil
}

// sortByMinor sorts entry numbers by their minor coordinate, stably (insertion sort for
// short runs, which is what rows of a frame stack are; merge sort otherwise).
func sortByMinor(seg []int, minor []int) {
	if len(seg) < 32 {
		for i := 1; i < len(seg); i++ {
			for j := i; j > 0 && minor[seg[j]] < minor[seg[j-1]]; j-- {
				seg[j], seg[j-1] = seg[j-1], seg[j]
			}
		}
		return
	}
	tmp := make([]int, len(seg))
	mergeSort(seg, tmp, minor)
}

func mergeSort(a, tmp []int, key []int) {
	if len(a) < 32 {
		sortByMinor(a, key)
		return
	}
	mid := len(a) / 2
	mergeSort(a[:mid], tmp[:mid], key)
	mergeSort(a[mid:], tmp[mid:], key)
	copy(tmp, a)
	i, j, k := 0, mid, 0
	for i < mid && j < len(a) {
		if key[tmp[j]] < key[tmp[i]] {
			a[k] = tmp[j]
			j++
		} else {
			a[k] = tmp[i]
			i++
		}
		k++
	}
	for i < mid {
		a[k] = tmp[i]
		i++
		k++
	}
	for j < len(a) {
		a[k] = tmp[j]
		j++
		k++
	}
}

// denseMatrixDims returns the (rows, cols) view of a dense array used as a matrix: 1-D
// arrays are one row, n-D arrays are (shape[0], prod(shape[1:])), 0-D arrays are 1×1.
func denseMatrixDims(shape []int) (int, int) {
	switch len(shape) {
	case 0:
		return 1, 1
	case 1:
		return 1, shape[0]
	}
	c := 1
	for _, s := range shape[1:] {
		c *= s
	}
	return shape[0], c
}

// denseDims returns the matrix dims of a dense array (see denseMatrixDims) without
// allocating (Dense.Shape returns a fresh slice).
func denseDims[T any](d *Dense[T]) (int, int) { return denseMatrixDims(d.shape) }

// borrowedSlices records which of a sparse matrix's slices are views into another
// matrix's memory.
type borrowedSlices struct{ indptr, indices, data bool }

// release drops borrowed slices (so that grow allocates fresh ones) and clears the marks.
func release[T SparseValue, I SparseIndex](b *borrowedSlices, indptr, indices *[]I, data *[]T) {
	if b.indptr {
		*indptr = nil
	}
	if b.indices {
		*indices = nil
	}
	if b.data {
		*data = nil
	}
	*b = borrowedSlices{}
}

// grow returns s resliced to length n, reallocating only when its capacity is too small.
func grow[E any](s []E, n int) []E {
	if cap(s) >= n {
		return s[:n]
	}
	return make([]E, n, n+n/8)
}

// sparseArray is implemented by CSR and CSC of every value and index type.
type sparseArray interface {
	Array
	denseArray() Array
}

func (m *CSR[T, I]) denseArray() Array { return m.ToDense() }
func (m *CSC[T, I]) denseArray() Array { return m.ToDense() }

// Densify returns a as a dense array: a itself when it is dense (Format FormatDense), a
// new C-contiguous *Dense[T] of shape (Rows, Cols) when it is a CSR or CSC matrix.
// Other formats give an error wrapping ErrFormat.
func Densify(a Array) (Array, error) {
	if a.Format() == FormatDense {
		return a, nil
	}
	if s, ok := a.(sparseArray); ok {
		return s.denseArray(), nil
	}
	return nil, fmt.Errorf("%w: cannot densify an array of format %v (%T)", ErrFormat, a.Format(), a)
}

// ErrFormat is wrapped by errors about an array format an operation does not support.
var ErrFormat = errors.New("unsupported array format")
