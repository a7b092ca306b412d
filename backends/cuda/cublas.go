package cuda

import (
	"fmt"
	"sync"
)

// cublasAPI holds the cuBLAS functions stemflow uses (the _v2 API).
type cublasAPI struct {
	path      string
	create    func(h *uintptr) int32
	destroy   func(h uintptr) int32
	setStream func(h uintptr, s uintptr) int32
	sgemm     func(h uintptr, ta, tb int32, m, n, k int32, alpha *float32, a uint64, lda int32, b uint64, ldb int32, beta *float32, c uint64, ldc int32) int32
	dgemm     func(h uintptr, ta, tb int32, m, n, k int32, alpha *float64, a uint64, lda int32, b uint64, ldb int32, beta *float64, c uint64, ldc int32) int32
}

var (
	cublasOnce sync.Once
	cublas     *cublasAPI
	cublasErr  error
)

func loadCuBLAS() (*cublasAPI, error) {
	cublasOnce.Do(func() { cublas, cublasErr = openCuBLAS() })
	return cublas, cublasErr
}

func (a *cublasAPI) err(call string, rc int32) error {
	if rc == 0 {
		return nil
	}
	return &Error{Lib: "cublas", Call: call, Code: rc}
}

// BLAS is a cuBLAS handle bound to one stream. Use it from one goroutine at a time.
type BLAS struct {
	a *cublasAPI
	s *Stream
	h uintptr
}

// NewBLAS creates a cuBLAS handle whose work is queued on s.
func NewBLAS(s *Stream) (*BLAS, error) {
	a, err := loadCuBLAS()
	if err != nil {
		return nil, err
	}
	if err := s.d.Bind(); err != nil {
		return nil, err
	}
	b := &BLAS{a: a, s: s}
	if err := a.err("cublasCreate_v2", a.create(&b.h)); err != nil {
		return nil, err
	}
	if err := a.err("cublasSetStream_v2", a.setStream(b.h, s.h)); err != nil {
		_ = a.destroy(b.h)
		return nil, err
	}
	return b, nil
}

// Close destroys the handle. Idempotent.
func (b *BLAS) Close() error {
	if b == nil || b.h == 0 {
		return nil
	}
	h := b.h
	b.h = 0
	return b.a.err("cublasDestroy_v2", b.a.destroy(h))
}

// Row-major products through column-major cuBLAS: C (m×n, row-major) = A (m×k) · Bᵀ
// where B is n×k row-major, is in column-major terms Cᵀ (n×m) = B (n×k as k×n col-major,
// transposed) · Aᵀ (k×m col-major): gemm(T, N, n, m, k, B, k, A, k, C, n).

// SgemmNT computes C = alpha·A·Bᵀ + beta·C for row-major float32 matrices on the device:
// A is m×k, B is n×k, C is m×n, all contiguous. This is the mask-stack product: m frames,
// n masks, k pixels.
func (b *BLAS) SgemmNT(m, n, k int, alpha float32, a, bm *Buffer, beta float32, c *Buffer) error {
	if err := checkGemm(m, n, k, a, bm, c, 4); err != nil {
		return err
	}
	const opN, opT = 0, 1
	return b.a.err("cublasSgemm_v2", b.a.sgemm(b.h, opT, opN, int32(n), int32(m), int32(k), &alpha, bm.Ptr, int32(k), a.Ptr, int32(k), &beta, c.Ptr, int32(n)))
}

// DgemmNT is SgemmNT for float64.
func (b *BLAS) DgemmNT(m, n, k int, alpha float64, a, bm *Buffer, beta float64, c *Buffer) error {
	if err := checkGemm(m, n, k, a, bm, c, 8); err != nil {
		return err
	}
	const opN, opT = 0, 1
	return b.a.err("cublasDgemm_v2", b.a.dgemm(b.h, opT, opN, int32(n), int32(m), int32(k), &alpha, bm.Ptr, int32(k), a.Ptr, int32(k), &beta, c.Ptr, int32(n)))
}

func checkGemm(m, n, k int, a, bm, c *Buffer, elem int64) error {
	const lim = 1<<31 - 1
	if m <= 0 || n <= 0 || k <= 0 || m > lim || n > lim || k > lim {
		return fmt.Errorf("cuda: gemm %d×%d×%d: sizes must be in [1, 2³¹)", m, n, k)
	}
	for _, x := range []struct {
		name string
		b    *Buffer
		need int64
	}{{"A", a, int64(m) * int64(k)}, {"B", bm, int64(n) * int64(k)}, {"C", c, int64(m) * int64(n)}} {
		if x.b.Len < x.need*elem {
			return fmt.Errorf("cuda: gemm %d×%d×%d: %s holds %d bytes, needs %d", m, n, k, x.name, x.b.Len, x.need*elem)
		}
	}
	return nil
}
