package blas

import (
	"fmt"
	"math"
	"sync"
	"sync/atomic"

	gblas "gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"

	"github.com/stemflow/stemflow/internal/kernels"
)

// library is a loaded CBLAS: its function pointers, bound by purego.
type library struct {
	path       string
	config     string
	sgemm      func(order, transA, transB, m, n, k int32, alpha float32, a *float32, lda int32, b *float32, ldb int32, beta float32, c *float32, ldc int32)
	dgemm      func(order, transA, transB, m, n, k int32, alpha float64, a *float64, lda int32, b *float64, ldb int32, beta float64, c *float64, ldc int32)
	setThreads func(n int32) // nil when the library has no thread control
}

// CBLAS enum values.
const (
	cblasRowMajor = 101
	cblasNoTrans  = 111
	cblasTrans    = 112
)

var (
	loadOnce sync.Once
	lib      *library // nil: pure-Go fallback
	loadErr  error
	// forceGo makes every call use the pure-Go path (tests).
	forceGo bool
	// threads is the thread count asked for by SetThreads (0: none asked);
	// isLoaded is set once load has run.
	threads  atomic.Int32
	isLoaded atomic.Bool
)

func loaded() *library {
	loadOnce.Do(func() {
		lib, loadErr = load()
		isLoaded.Store(true)
		if n := threads.Load(); n > 0 && lib != nil && lib.setThreads != nil {
			lib.setThreads(n)
		}
	})
	if forceGo {
		return nil
	}
	return lib
}

// Available reports whether a native BLAS library was loaded. Sgemm and Dgemm
// work either way.
func Available() bool { return loaded() != nil }

// LoadError returns why no native library is in use (nil when one is).
func LoadError() error {
	loaded()
	return loadErr
}

// Name describes the implementation in use: "openblas: <config> (<path>)" or
// "cblas (<path>)" for a native library, "pure Go (gonum, stemflow kernels)" otherwise.
func Name() string {
	l := loaded()
	switch {
	case l == nil:
		return "pure Go (gonum, stemflow kernels)"
	case l.config != "":
		return "openblas: " + l.config + " (" + l.path + ")"
	default:
		return "cblas (" + l.path + ")"
	}
}

// SetThreads sets the number of threads the native library uses (n ≥ 1).
// It does not load the library: a count set before the first product is
// applied when the library is loaded, so a run whose products all take the
// pure-Go paths (a single mask is a dot product) never pays for loading it and
// starting its threads. It does nothing for the pure-Go fallback or a library
// without thread control.
func SetThreads(n int) {
	n = max(1, min(n, math.MaxInt32))
	if threads.Swap(int32(n)) == int32(n) {
		return
	}
	if !isLoaded.Load() {
		return
	}
	if l := loaded(); l != nil && l.setThreads != nil {
		l.setThreads(int32(n))
	}
}

func trans(t bool) gblas.Transpose {
	if t {
		return gblas.Trans
	}
	return gblas.NoTrans
}

func ctrans(t bool) int32 {
	if t {
		return cblasTrans
	}
	return cblasNoTrans
}

// check panics with a message naming the bad argument, as gonum does, when
// the shapes do not describe valid row-major matrices within the slices.
func check(fn string, transA, transB bool, m, n, k int, la, lda, lb, ldb, lc, ldc int) {
	bad := func(format string, args ...any) {
		panic(fmt.Sprintf("blas."+fn+": "+format, args...))
	}
	if m < 0 || n < 0 || k < 0 {
		bad("negative dimension m=%d n=%d k=%d", m, n, k)
	}
	if m > math.MaxInt32 || n > math.MaxInt32 || k > math.MaxInt32 || lda > math.MaxInt32 || ldb > math.MaxInt32 || ldc > math.MaxInt32 {
		bad("dimension exceeds 32-bit BLAS limits")
	}
	ra, ca := m, k
	if transA {
		ra, ca = k, m
	}
	rb, cb := k, n
	if transB {
		rb, cb = n, k
	}
	if lda < max(1, ca) {
		bad("lda = %d, want ≥ %d", lda, max(1, ca))
	}
	if ldb < max(1, cb) {
		bad("ldb = %d, want ≥ %d", ldb, max(1, cb))
	}
	if ldc < max(1, n) {
		bad("ldc = %d, want ≥ %d", ldc, max(1, n))
	}
	need := func(rows, cols, ld int) int {
		if rows == 0 || cols == 0 {
			return 0
		}
		return (rows-1)*ld + cols
	}
	if la < need(ra, ca, lda) {
		bad("len(a) = %d, want ≥ %d for a %d × %d matrix with lda %d", la, need(ra, ca, lda), ra, ca, lda)
	}
	if lb < need(rb, cb, ldb) {
		bad("len(b) = %d, want ≥ %d for a %d × %d matrix with ldb %d", lb, need(rb, cb, ldb), rb, cb, ldb)
	}
	if lc < need(m, n, ldc) {
		bad("len(c) = %d, want ≥ %d for a %d × %d matrix with ldc %d", lc, need(m, n, ldc), m, n, ldc)
	}
}

// Sgemm computes C = alpha·op(A)·op(B) + beta·C for row-major float32
// matrices, where op(X) is X or Xᵀ as transA/transB say: op(A) is m × k,
// op(B) is k × n and C is m × n, with leading dimensions (row strides) lda,
// ldb, ldc. It uses the native library when loaded; otherwise contiguous
// products with alpha 1 and beta 0 or 1 and no transposed A run the FMA
// kernels of internal/kernels (MaskDotF32 for Bᵀ, GemmF32 for B), and gonum
// runs the rest.
//
// It panics, naming the argument, if a dimension is negative, a leading
// dimension is smaller than its matrix's row length, or a slice is too short.
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	check("Sgemm", transA, transB, m, n, k, len(a), lda, len(b), ldb, len(c), ldc)
	if m == 0 || n == 0 {
		return
	}
	l := loaded()
	if l == nil && !transA && lda == k && ldc == n && alpha == 1 && (beta == 0 || beta == 1) && k > 0 {
		// The mask-product shapes, contiguous: the register-blocked FMA
		// kernels of internal/kernels are 2–3× faster than gonum here.
		if transB && ldb == k {
			cc := c[:m*n]
			if beta == 0 {
				clear(cc)
			}
			kernels.MaskDotF32(cc, a[:m*k], b[:n*k], k)
			return
		}
		if !transB && ldb == n {
			cc := c[:m*n]
			if beta == 0 {
				clear(cc)
			}
			kernels.GemmF32(cc, a[:m*k], b[:k*n], m, k, n)
			return
		}
	}
	if l == nil || k == 0 {
		gonum.Implementation{}.Sgemm(trans(transA), trans(transB), m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	nativeSgemm(l, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// Dgemm is Sgemm for float64.
func Dgemm(transA, transB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	check("Dgemm", transA, transB, m, n, k, len(a), lda, len(b), ldb, len(c), ldc)
	if m == 0 || n == 0 {
		return
	}
	l := loaded()
	if l == nil || k == 0 {
		gonum.Implementation{}.Dgemm(trans(transA), trans(transB), m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	nativeDgemm(l, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}
