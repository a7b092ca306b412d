package array

import (
	"fmt"
	"math"
	"sync"
)

// Products with sparse operands. All of them accumulate, dst += a·b, because that is
// what a UDF does with a tile (ApplyMasks adds each tile's product into its result rows,
// and tiles of one frame may cover different parts of the signal); clear dst first
// (Fill(0)) for a plain product. dst must be C-contiguous and hold f×m elements in
// row-major order, in any shape: a (depth, masks) buffer view, for example. Dense
// operands are read as matrices: shape (shape[0], prod(shape[1:])), so a (depth, sy, sx)
// tile is (depth, sy·sx) and a (masks, sy, sx) stack is (masks, sy·sx); non-contiguous
// dense operands are copied first. Shape errors wrap ErrShape. Sparse operands must be
// structurally valid (Validate): an index outside the matrix panics like slice indexing.
// None of the functions allocates in steady state when its operands are contiguous.

// denseOperand returns the row-major data and matrix dims of a dense operand.
func denseOperand[T SparseValue](d *Dense[T]) ([]T, int, int) {
	r, c := denseDims(d)
	return d.Contiguous().Data()[:r*c], r, c
}

func checkDst[T SparseValue](op string, dst *Dense[T], f, m int) ([]T, error) {
	if dst.Size() != f*m || !dst.IsContiguous() {
		return nil, fmt.Errorf("%w: %s: destination of shape %v (contiguous: %v), want %d×%d = %d contiguous elements", ErrShape, op, dst.Shape(), dst.IsContiguous(), f, m, f*m)
	}
	return dst.Data()[:f*m], nil
}

// MulAddDenseCSRT computes dst += a · bᵀ for a dense (f×p) and a CSR b of shape (m×p):
// frames × masksᵀ with a sparse mask stack holding one mask per row — the ApplyMasks
// kernel. Each output element is a gathered dot product over the mask's stored entries.
func MulAddDenseCSRT[T SparseValue, I SparseIndex](dst *Dense[T], a *Dense[T], b *CSR[T, I]) error {
	ad, f, p := denseOperand(a)
	if p != b.Cols {
		return fmt.Errorf("%w: MulAddDenseCSRT: a is %d×%d, b is %d×%d, want equal column counts", ErrShape, f, p, b.Rows, b.Cols)
	}
	dd, err := checkDst("MulAddDenseCSRT", dst, f, b.Rows)
	if err != nil {
		return err
	}
	mulAddDenseCompressedT(dd, ad, f, p, b.Rows, b.Indptr, b.Indices, b.Data)
	return nil
}

// MulAddDenseCSC computes dst += a · b for a dense a (f×p) and a CSC b (p×m): frames ×
// a mask stack with one mask per column. The CSC storage is read as the CSR storage of
// bᵀ, so this is MulAddDenseCSRT without a conversion.
func MulAddDenseCSC[T SparseValue, I SparseIndex](dst *Dense[T], a *Dense[T], b *CSC[T, I]) error {
	ad, f, p := denseOperand(a)
	if p != b.Rows {
		return fmt.Errorf("%w: MulAddDenseCSC: a is %d×%d, b is %d×%d, want a's columns = b's rows", ErrShape, f, p, b.Rows, b.Cols)
	}
	dd, err := checkDst("MulAddDenseCSC", dst, f, b.Cols)
	if err != nil {
		return err
	}
	mulAddDenseCompressedT(dd, ad, f, p, b.Cols, b.Indptr, b.Indices, b.Data)
	return nil
}

// mulAddDenseCompressedT: dst (f×m) += a (f×p) · Bᵀ where B (m×p) is row-compressed.
// Frames are processed four at a time so that each stored mask entry (index and value)
// is loaded once per four frames.
func mulAddDenseCompressedT[T SparseValue, I SparseIndex](dst, a []T, f, p, m int, indptr, indices []I, data []T) {
	r := 0
	for ; r+4 <= f; r += 4 {
		f0 := a[r*p : (r+1)*p : (r+1)*p]
		f1 := a[(r+1)*p : (r+2)*p : (r+2)*p]
		f2 := a[(r+2)*p : (r+3)*p : (r+3)*p]
		f3 := a[(r+3)*p : (r+4)*p : (r+4)*p]
		for j := 0; j < m; j++ {
			lo, hi := indptr[j], indptr[j+1]
			idx := indices[lo:hi:hi]
			val := data[lo:hi:hi]
			val = val[:len(idx)]
			// Two accumulators per frame: eight independent add chains hide the
			// floating-point add latency.
			var s0, s1, s2, s3, t0, t1, t2, t3 T
			k := 0
			for ; k+2 <= len(idx); k += 2 {
				c, d := idx[k], idx[k+1]
				v, w := val[k], val[k+1]
				s0 += v * f0[c]
				s1 += v * f1[c]
				s2 += v * f2[c]
				s3 += v * f3[c]
				t0 += w * f0[d]
				t1 += w * f1[d]
				t2 += w * f2[d]
				t3 += w * f3[d]
			}
			if k < len(idx) {
				c, v := idx[k], val[k]
				s0 += v * f0[c]
				s1 += v * f1[c]
				s2 += v * f2[c]
				s3 += v * f3[c]
			}
			dst[r*m+j] += s0 + t0
			dst[(r+1)*m+j] += s1 + t1
			dst[(r+2)*m+j] += s2 + t2
			dst[(r+3)*m+j] += s3 + t3
		}
	}
	for ; r < f; r++ {
		frame := a[r*p : (r+1)*p : (r+1)*p]
		out := dst[r*m : (r+1)*m : (r+1)*m]
		for j := range out {
			lo, hi := indptr[j], indptr[j+1]
			out[j] += gatherDot(indices[lo:hi:hi], data[lo:hi:hi], frame)
		}
	}
}

// gatherDot returns Σ_k val[k]·x[idx[k]] (val holds at least len(idx) values) with two
// accumulators, so that two independent add chains hide the floating-point add latency.
func gatherDot[T SparseValue, I SparseIndex](idx []I, val, x []T) T {
	val = val[:len(idx)]
	var s0, s1 T
	k := 0
	for ; k+2 <= len(idx); k += 2 {
		s0 += val[k] * x[idx[k]]
		s1 += val[k+1] * x[idx[k+1]]
	}
	if k < len(idx) {
		s0 += val[k] * x[idx[k]]
	}
	return s0 + s1
}

// MulAddCSRDense computes dst += a · b for a CSR a (f×p) and a dense b (p×m): each
// stored entry of a adds a scaled row of b.
func MulAddCSRDense[T SparseValue, I SparseIndex](dst *Dense[T], a *CSR[T, I], b *Dense[T]) error {
	bd, p, m := denseOperand(b)
	if p != a.Cols {
		return fmt.Errorf("%w: MulAddCSRDense: a is %d×%d, b is %d×%d, want a's columns = b's rows", ErrShape, a.Rows, a.Cols, p, m)
	}
	dd, err := checkDst("MulAddCSRDense", dst, a.Rows, m)
	if err != nil {
		return err
	}
	for r := 0; r < a.Rows; r++ {
		out := dd[r*m : (r+1)*m : (r+1)*m]
		idx, val := a.Row(r)
		for k, c := range idx {
			v := val[k]
			brow := bd[int(c)*m : int(c)*m+m]
			brow = brow[:len(out)]
			for j, w := range brow {
				out[j] += v * w
			}
		}
	}
	return nil
}

// MulAddCSRDenseT computes dst += a · bᵀ for a CSR a (f×p) and a dense b (m×p): a
// sparse tile times a dense mask stack with one mask per row.
func MulAddCSRDenseT[T SparseValue, I SparseIndex](dst *Dense[T], a *CSR[T, I], b *Dense[T]) error {
	bd, m, p := denseOperand(b)
	if p != a.Cols {
		return fmt.Errorf("%w: MulAddCSRDenseT: a is %d×%d, b is %d×%d, want equal column counts", ErrShape, a.Rows, a.Cols, m, p)
	}
	dd, err := checkDst("MulAddCSRDenseT", dst, a.Rows, m)
	if err != nil {
		return err
	}
	for r := 0; r < a.Rows; r++ {
		out := dd[r*m : (r+1)*m : (r+1)*m]
		idx, val := a.Row(r)
		for j := range out {
			out[j] += gatherDot(idx, val, bd[j*p:(j+1)*p:(j+1)*p])
		}
	}
	return nil
}

// MulAddCSRCSR computes dst += a · b for a CSR a (f×p) and a CSR b (p×m) — a sparse
// tile times a mask stack stored pixel-major (row k lists the masks touching pixel k).
// The cost is proportional to the products of stored entries, which makes it the best
// choice for very sparse (event-like) tiles.
func MulAddCSRCSR[T SparseValue, I SparseIndex](dst *Dense[T], a *CSR[T, I], b *CSR[T, I]) error {
	if a.Cols != b.Rows {
		return fmt.Errorf("%w: MulAddCSRCSR: a is %d×%d, b is %d×%d, want a's columns = b's rows", ErrShape, a.Rows, a.Cols, b.Rows, b.Cols)
	}
	m := b.Cols
	dd, err := checkDst("MulAddCSRCSR", dst, a.Rows, m)
	if err != nil {
		return err
	}
	for r := 0; r < a.Rows; r++ {
		out := dd[r*m : (r+1)*m : (r+1)*m]
		idx, val := a.Row(r)
		for k, c := range idx {
			v := val[k]
			bidx, bval := b.Row(int(c))
			bval = bval[:len(bidx)]
			for q, j := range bidx {
				out[j] += v * bval[q]
			}
		}
	}
	return nil
}

// MulAddCSRCSRT computes dst += a · bᵀ for CSR matrices a (f×p) and b (m×p): a sparse
// tile times a sparse mask stack with one mask per row. Each row of a is scattered into
// a pooled dense scratch row of p elements and every mask gathers from it; indices need
// not be sorted. It allocates only when the pool has no scratch row of that size.
func MulAddCSRCSRT[T SparseValue, I SparseIndex](dst *Dense[T], a *CSR[T, I], b *CSR[T, I]) error {
	if a.Cols != b.Cols {
		return fmt.Errorf("%w: MulAddCSRCSRT: a is %d×%d, b is %d×%d, want equal column counts", ErrShape, a.Rows, a.Cols, b.Rows, b.Cols)
	}
	dd, err := checkDst("MulAddCSRCSRT", dst, a.Rows, b.Rows)
	if err != nil {
		return err
	}
	mulAddCompressedCompressedT(dd, a.Rows, a.Cols, a.Indptr, a.Indices, a.Data, b.Rows, b.Indptr, b.Indices, b.Data)
	return nil
}

// MulAddCSRCSC computes dst += a · b for a CSR a (f×p) and a CSC b (p×m): a sparse tile
// times a sparse mask stack with one mask per column (the reference's sparse
// MaskContainer layout). The CSC storage is read as bᵀ in CSR, see MulAddCSRCSRT.
func MulAddCSRCSC[T SparseValue, I SparseIndex](dst *Dense[T], a *CSR[T, I], b *CSC[T, I]) error {
	if a.Cols != b.Rows {
		return fmt.Errorf("%w: MulAddCSRCSC: a is %d×%d, b is %d×%d, want a's columns = b's rows", ErrShape, a.Rows, a.Cols, b.Rows, b.Cols)
	}
	dd, err := checkDst("MulAddCSRCSC", dst, a.Rows, b.Cols)
	if err != nil {
		return err
	}
	mulAddCompressedCompressedT(dd, a.Rows, a.Cols, a.Indptr, a.Indices, a.Data, b.Cols, b.Indptr, b.Indices, b.Data)
	return nil
}

func mulAddCompressedCompressedT[T SparseValue, I SparseIndex](dst []T, f, p int, aptr, aidx []I, aval []T, m int, bptr, bidx []I, bval []T) {
	// Scatter each row of a into a dense scratch row, then gather along every row of b:
	// per frame 2·nnz(a_f) + nnz(b) steps, better than merging sorted index lists
	// (nnz(a_f)·m + nnz(b)). The scratch row is pooled per dtype.
	wp := getWork[T](p)
	work := *wp
	for r := 0; r < f; r++ {
		ai := aidx[aptr[r]:aptr[r+1]]
		av := aval[aptr[r]:aptr[r+1]]
		if len(ai) == 0 {
			continue
		}
		for k, c := range ai {
			work[c] += av[k]
		}
		out := dst[r*m : (r+1)*m]
		for j := range out {
			lo, hi := bptr[j], bptr[j+1]
			out[j] += gatherDot(bidx[lo:hi:hi], bval[lo:hi:hi], work)
		}
		for _, c := range ai {
			work[c] = 0
		}
	}
	putWork(wp)
}

// workPools holds zeroed scratch rows (*[]T), one pool per value type (see workIndex).
var workPools [13]sync.Pool

// workIndex returns T's pool index without allocating; named types share the pool of
// their dtype and fail the type assertion in getWork, which then allocates.
func workIndex[T SparseValue]() int {
	switch any((*T)(nil)).(type) {
	case *float32:
		return 0
	case *float64:
		return 1
	case *int8:
		return 2
	case *int16:
		return 3
	case *int32:
		return 4
	case *int64:
		return 5
	case *uint8:
		return 6
	case *uint16:
		return 7
	case *uint32:
		return 8
	case *uint64:
		return 9
	case *complex64:
		return 10
	case *complex128:
		return 11
	}
	return 12
}

// getWork returns a zeroed scratch slice of length n from T's pool.
func getWork[T SparseValue](n int) *[]T {
	if w, ok := workPools[workIndex[T]()].Get().(*[]T); ok && cap(*w) >= n {
		*w = (*w)[:n]
		return w
	}
	w := make([]T, n)
	return &w
}

// putWork returns a scratch slice (all zero again) to its pool.
func putWork[T SparseValue](w *[]T) { workPools[workIndex[T]()].Put(w) }

// Log scaling. LiberTEM's Logsum adds log(frame − min(frame) + 1) per frame, where the
// minimum is over the whole frame: for a sparse row with implicit zeros the minimum is at
// most 0, and when it is negative the implicit zeros map to log(1 − min) ≠ 0.

// logShift returns log(v - mn + 1) in T's precision.
func logShift[T SparseFloat](v, mn T) T {
	return T(math.Log(float64(v - mn + 1)))
}

// LogScaleInto writes log(x − rowmin + 1) of every element of the CSR a (f×p) into the
// dense dst (f×p elements, C-contiguous, any shape), where rowmin is the minimum of the
// element's row including implicit zeros (see RowMin). Errors wrap ErrShape.
func LogScaleInto[T SparseFloat, I SparseIndex](dst *Dense[T], a *CSR[T, I]) error {
	dd, err := checkDst("LogScaleInto", dst, a.Rows, a.Cols)
	if err != nil {
		return err
	}
	for r := 0; r < a.Rows; r++ {
		mn := RowMin(a, r)
		out := dd[r*a.Cols : (r+1)*a.Cols]
		base := logShift(0, mn)
		for j := range out {
			out[j] = base
		}
		idx, val := a.Row(r)
		for k, c := range idx {
			out[c] = logShift(val[k], mn)
		}
	}
	return nil
}

// AddLogScaledSumAxis0 adds Σ_rows log(x − rowmin + 1) to dst (length Cols): the Logsum
// reduction of a CSR tile, with implicit zeros handled exactly (they contribute
// log(1 − rowmin), which is 0 unless the row has a negative minimum). Rows must not hold
// duplicate column indices. It panics if len(dst) != Cols.
func AddLogScaledSumAxis0[T SparseFloat, I SparseIndex](dst []T, a *CSR[T, I]) {
	if len(dst) != a.Cols {
		panic(fmt.Sprintf("array: AddLogScaledSumAxis0: dst has length %d, want %d", len(dst), a.Cols))
	}
	for r := 0; r < a.Rows; r++ {
		mn := RowMin(a, r)
		idx, val := a.Row(r)
		if mn == 0 {
			// log(0 − 0 + 1) = 0: implicit zeros contribute nothing.
			for k, c := range idx {
				dst[c] += logShift(val[k], 0)
			}
			continue
		}
		if len(idx) >= a.Cols {
			// Every element stored (no implicit zeros).
			for k, c := range idx {
				dst[c] += logShift(val[k], mn)
			}
			continue
		}
		// Negative minimum with implicit zeros: walk all columns.
		base := logShift(0, mn)
		if sortedUnique(a.Indptr[r:r+2], a.Indices) {
			k := 0
			for j := range dst {
				if k < len(idx) && int(idx[k]) == j {
					dst[j] += logShift(val[k], mn)
					k++
				} else {
					dst[j] += base
				}
			}
			continue
		}
		for j := range dst {
			dst[j] += base
		}
		for k, c := range idx {
			dst[c] += logShift(val[k], mn) - base
		}
	}
}

// LogScaleCSRInto makes dst the element-wise log(x − rowmin + 1) of a while keeping it
// sparse: dst shares a's structure and gets its own Data (reused when it has room). It
// returns ErrDensifies (and leaves dst unchanged) if some row has implicit zeros and a
// negative minimum, because those zeros would become non-zero; use LogScaleInto then.
func LogScaleCSRInto[T SparseFloat, I SparseIndex](dst, a *CSR[T, I]) error {
	for r := 0; r < a.Rows; r++ {
		if int(a.Indptr[r+1]-a.Indptr[r]) < a.Cols && RowMin(a, r) < 0 {
			return fmt.Errorf("%w: log scaling row %d (negative minimum, implicit zeros)", ErrDensifies, r)
		}
	}
	nnz := a.NNZ()
	release(&dst.borrowed, &dst.Indptr, &dst.Indices, &dst.Data)
	data := grow(dst.Data, nnz)
	for r := 0; r < a.Rows; r++ {
		mn := RowMin(a, r)
		for k := a.Indptr[r]; k < a.Indptr[r+1]; k++ {
			data[k] = logShift(a.Data[k], mn)
		}
	}
	dst.Rows, dst.Cols = a.Rows, a.Cols
	dst.Indptr = a.Indptr
	dst.Indices = a.Indices[:nnz:nnz]
	dst.Data = data
	dst.borrowed = borrowedSlices{indptr: true, indices: true}
	return nil
}
