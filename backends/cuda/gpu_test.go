package cuda

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"
)

// gpuExec returns a stream Exec on device 0, skipping the test without a GPU.
func gpuExec(t testing.TB) Exec {
	t.Helper()
	if !Available() {
		t.Skipf("no CUDA device: %v", LoadError())
	}
	ds, _ := Devices()
	x, err := NewStreamExec(ds[0])
	if err != nil {
		t.Fatalf("NewStreamExec on %v: %v", ds[0], err)
	}
	t.Cleanup(func() { _ = x.Close() })
	return x
}

// TestGPUKernelsMatchEmulator runs every kernel for every element type on the device
// and on the emulator with the same random tile; results agree within float64
// rounding of sums in a different order (relative 1e-12), logs within 1e-9.
func TestGPUKernelsMatchEmulator(t *testing.T) {
	g := gpuExec(t)
	emu := &Emulator{}
	rng := rand.New(rand.NewPCG(1, 2))
	const nf, sy, sx = 37, 33, 65 // odd sizes: partial blocks and warps
	const npix = sy * sx
	vals := make([]float64, nf*npix)
	for i := range vals {
		vals[i] = float64(rng.IntN(100))
	}
	mask := make([]float64, npix)
	for i := range mask {
		mask[i] = float64(rng.IntN(2))
	}
	// Three CSR masks: every third pixel, none, a 5-pixel run with weights.
	csrPtr := []int32{0}
	var csrIdx []int32
	var csrVal []float64
	for p := 0; p < npix; p += 3 {
		csrIdx, csrVal = append(csrIdx, int32(p)), append(csrVal, 1)
	}
	csrPtr = append(csrPtr, int32(len(csrIdx)), int32(len(csrIdx)))
	for p := 100; p < 105; p++ {
		csrIdx, csrVal = append(csrIdx, int32(p)), append(csrVal, float64(p-102)/4)
	}
	csrPtr = append(csrPtr, int32(len(csrIdx)))
	for e := F32; e.Valid(); e++ {
		t.Run(e.Suffix(), func(t *testing.T) {
			tb := tileBytes(e, vals)
			mb := tileBytes(F32, mask)
			type res struct{ out [][]float64 }
			run := func(x Exec) res {
				in, m := upload(t, x, tb), upload(t, x, mb)
				acc, out3 := zeros(t, x, 8*npix), zeros(t, x, 24*nf+16)
				sum, vs, mins, lacc, sig := zeros(t, x, 8*npix), zeros(t, x, 8*npix), zeros(t, x, 8*nf), zeros(t, x, 8*npix), zeros(t, x, 8*nf+8)
				var r res
				must := func(err error) {
					t.Helper()
					if err != nil {
						t.Fatalf("%s: %v", x.Name(), err)
					}
				}
				must(x.SumFrames(in, e, acc, nf, npix))
				r.out = append(r.out, download64(t, x, acc, 0, npix))
				must(x.SumSig(in, e, sig, 8, nf, npix))
				r.out = append(r.out, download64(t, x, sig, 8, nf))
				must(x.StdFrames(in, e, sum, vs, 10, npix, 0))
				must(x.StdFrames(in, e, sum, vs, nf, npix, 10))
				r.out = append(r.out, download64(t, x, sum, 0, npix), download64(t, x, vs, 0, npix))
				must(x.CoMFrames(in, e, m, out3, 16, nf, npix, sx))
				r.out = append(r.out, download64(t, x, out3, 16, 3*nf))
				must(x.RingMoments(in, e, m, out3, 0, nf, npix))
				r.out = append(r.out, download64(t, x, out3, 0, 3*nf))
				must(x.FrameMin(in, e, mins, nf, npix))
				r.out = append(r.out, download64(t, x, mins, 0, nf))
				must(x.LogSum(in, e, mins, lacc, nf, npix))
				r.out = append(r.out, download64(t, x, lacc, 0, npix))
				// Byte-exact kernels: compared as float64 bit patterns of the bytes.
				es := int64(e.Size())
				pick := zeros(t, x, es*nf*npix+8)
				must(x.PickFrames(in, e, pick, 8, nf, npix))
				r.out = append(r.out, bytesAsF64(download(t, x, pick, 0, int(pick.Size()))))
				idx := upload(t, x, i64Bytes([]int64{nf - 1, 0, 3, 3}))
				gat := zeros(t, x, 4*es*npix)
				must(x.GatherFrames(in, e, idx, gat, 4, npix))
				r.out = append(r.out, bytesAsF64(download(t, x, gat, 0, int(gat.Size()))))
				sw := zeros(t, x, es*nf*npix)
				must(x.SwapBytes(in, e, sw, nf*npix))
				must(x.SwapBytes(sw, e, sw, nf*npix)) // in place, back again
				r.out = append(r.out, bytesAsF64(download(t, x, sw, 0, int(sw.Size()))))
				pb, jb, vb := upload(t, x, i32Bytes(csrPtr)), upload(t, x, i32Bytes(csrIdx)), upload(t, x, tileBytes(F64, csrVal))
				cm := zeros(t, x, 8*nf*3+8)
				must(x.CSRMasks(in, e, pb, jb, vb, cm, 8, nf, npix, 3))
				r.out = append(r.out, download64(t, x, cm, 8, 3*nf))
				return r
			}
			want, got := run(emu), run(g)
			names := []string{"SumFrames", "SumSig", "Std sum", "Std varsum", "CoMFrames", "RingMoments", "FrameMin", "LogSum",
				"PickFrames", "GatherFrames", "SwapBytes", "CSRMasks"}
			for i := range want.out {
				tol := 1e-12
				if names[i] == "LogSum" {
					tol = 1e-9
				}
				for j := range want.out[i] {
					w, g := want.out[i][j], got.out[i][j]
					if math.Abs(w-g) > tol*math.Max(1, math.Abs(w)) {
						t.Fatalf("%s[%d]: device %v, emulator %v", names[i], j, g, w)
					}
				}
			}
		})
	}
}

// bytesAsF64 packs bytes into float64 bit patterns (zero-padded) so byte-exact kernel
// outputs compare exactly in the float comparison.
func bytesAsF64(b []byte) []float64 {
	out := make([]float64, (len(b)+7)/8)
	for i := range out {
		var w [8]byte
		copy(w[:], b[8*i:])
		out[i] = float64(binary.NativeEndian.Uint32(w[:4])) + 4294967296*float64(binary.NativeEndian.Uint32(w[4:]))
	}
	return out
}

// BenchmarkGPUSumFrames measures the on-device Sum kernel (GB/s of tile bytes).
func BenchmarkGPUSumFrames(b *testing.B) {
	x := gpuExec(b)
	const nf, npix = 1024, 128 * 128
	in, err := x.Alloc(4 * nf * npix)
	if err != nil {
		b.Fatal(err)
	}
	acc := zeros(b, x, 8*npix)
	b.SetBytes(4 * nf * npix)
	for b.Loop() {
		if err := x.SumFrames(in, F32, acc, nf, npix); err != nil {
			b.Fatal(err)
		}
	}
	if err := x.Sync(); err != nil {
		b.Fatal(err)
	}
}
