package cuda

import (
	"fmt"
)

// Buf is memory an Exec's kernels work on: device memory on a GPU, host memory in the
// emulator.
type Buf interface {
	// Size is the buffer's length in bytes.
	Size() int64
}

// Exec runs stemflow's built-in kernels, in order, on one execution queue: a CUDA stream
// (NewStreamExec), or the CPU Emulator, which defines in plain Go what each kernel
// computes and serves the tests of everything above this package on machines without
// a GPU. Calls queue work and may return before it is done; Sync waits for it.
// Host memory passed to CopyIn must stay unchanged until the next Sync (or until the
// Exec has staged it: the CUDA Exec copies it into pinned memory before returning).
// An Exec is used by one goroutine at a time.
//
// Kernels read a tile `in` of nf frames × npix pixels of element type e (C order) and
// accumulate in float64. Offsets are in bytes.
type Exec interface {
	// Name describes the queue: "cuda:0/stream 1", "emulator".
	Name() string
	// Alloc returns n bytes of memory (not cleared).
	Alloc(n int64) (Buf, error)
	// Free releases a buffer of this Exec.
	Free(b Buf) error
	// CopyIn copies host bytes into b at offset off.
	CopyIn(b Buf, off int64, src []byte) error
	// CopyOut copies len(dst) bytes of b from offset off into dst; dst holds them after Sync.
	CopyOut(dst []byte, b Buf, off int64) error
	// View returns bytes [off, off+n) of b as a buffer sharing its memory. A view is
	// never freed: it lives as long as b.
	View(b Buf, off, n int64) (Buf, error)
	// Zero clears n bytes of b from offset off.
	Zero(b Buf, off, n int64) error
	// SumFrames: acc[p] += Σ_f in[f,p]; acc is float64[npix].
	SumFrames(in Buf, e Elem, acc Buf, nf, npix int) error
	// SumSig: out[f] = Σ_p in[f,p]; out is float64 from byte offset outOff.
	SumSig(in Buf, e Elem, out Buf, outOff int64, nf, npix int) error
	// StdFrames merges the tile's frames into per-pixel float64 sum and varsum (sum of
	// squared deviations) of n0 earlier frames (n0 = 0: overwrites them).
	StdFrames(in Buf, e Elem, sum, varsum Buf, nf, npix int, n0 int64) error
	// CoMFrames: out[3f..3f+2] = (Σ m·v, Σ m·v·y, Σ m·v·x) with the float32 mask m and
	// y = p / sx, x = p % sx; out is float64 from outOff.
	CoMFrames(in Buf, e Elem, mask Buf, out Buf, outOff int64, nf, npix, sx int) error
	// RingMoments: out[3f..3f+2] = (Σ m, Σ m·v, Σ m·v²) with the float32 mask m.
	RingMoments(in Buf, e Elem, mask Buf, out Buf, outOff int64, nf, npix int) error
	// FrameMin: out[f] = min_p in[f,p], float64.
	FrameMin(in Buf, e Elem, out Buf, nf, npix int) error
	// LogSum: acc[p] += Σ_f log(in[f,p] − mins[f] + 1).
	LogSum(in Buf, e Elem, mins Buf, acc Buf, nf, npix int) error
	// ToF32: out[i] = float32(in[i]) for n elements.
	ToF32(in Buf, e Elem, out Buf, n int) error
	// PickFrames: out[i] = in[i] for the tile's nf·npix elements of type e, written
	// from byte offset outOff of out.
	PickFrames(in Buf, e Elem, out Buf, outOff int64, nf, npix int) error
	// GatherFrames: out[k, p] = in[idx[k], p] for k < nk, with idx int64[nk] (every
	// index below the frames in holds) and out nk·npix elements of e.
	GatherFrames(in Buf, e Elem, idx Buf, out Buf, nk, npix int) error
	// CSRMasks: out[f·nm + m] = Σ values[j]·in[f, indices[j]] over j in
	// [indptr[m], indptr[m+1]): nm masks as CSR rows (indptr int32[nm+1], indices
	// int32 < npix, values float64); out is float64 from byte offset outOff.
	CSRMasks(in Buf, e Elem, indptr, indices, values Buf, out Buf, outOff int64, nf, npix, nm int) error
	// SwapBytes: out[i] = in[i] with its bytes reversed, n elements of e (decodes
	// big-endian data on the device). in and out may be the same buffer.
	SwapBytes(in Buf, e Elem, out Buf, n int) error
	// GemmNT32: C (m×n, float32, from byte offset cOff) = A (m×k) · Bᵀ (B n×k), row-major.
	GemmNT32(m, n, k int, a, b, c Buf, cOff int64) error
	// Launch queues a user kernel (see Kernel) with the given geometry; buffers among
	// args are passed as their device addresses.
	Launch(k *Kernel, grid, block Dim3, shmem uint32, args ...any) error
	// Sync waits until every queued operation has finished and reports the first error.
	Sync() error
	// Close releases the queue's own resources (not the buffers it allocated).
	Close() error
}

// checkTile validates the common kernel arguments.
func checkTile(in Buf, e Elem, nf, npix int) error {
	if !e.Valid() {
		return fmt.Errorf("cuda: element type %v has no kernels", e)
	}
	if nf < 0 || npix <= 0 {
		return fmt.Errorf("cuda: tile of %d frames × %d pixels", nf, npix)
	}
	if need := int64(nf) * int64(npix) * int64(e.Size()); in.Size() < need {
		return fmt.Errorf("cuda: tile buffer of %d bytes, %d frames × %d pixels of %v need %d", in.Size(), nf, npix, e, need)
	}
	return nil
}

func checkOut(what string, b Buf, off, n int64) error {
	if off < 0 || off+n > b.Size() {
		return fmt.Errorf("cuda: %s: bytes [%d, %d) outside a buffer of %d bytes", what, off, off+n, b.Size())
	}
	return nil
}

// checkGather validates GatherFrames' tile arguments (the indices are checked by the
// caller that builds them: the kernel cannot report one out of range).
func checkGather(in Buf, e Elem, out Buf, nk, npix int) error {
	if !e.Valid() {
		return fmt.Errorf("cuda: element type %v has no kernels", e)
	}
	if nk < 0 || npix <= 0 {
		return fmt.Errorf("cuda: gather of %d frames × %d pixels", nk, npix)
	}
	if in.Size() < int64(npix)*int64(e.Size()) && nk > 0 {
		return fmt.Errorf("cuda: gather from a buffer of %d bytes, less than one frame", in.Size())
	}
	return checkOut("GatherFrames out", out, 0, int64(nk)*int64(npix)*int64(e.Size()))
}
