package udfs

import (
	"math"
	"testing"

	"github.com/stemflow/stemflow/array"
)

// TestAddU16ToU32Twins compares the kernel with a direct loop on odd lengths and
// unaligned starts, including values near the uint16 limit.
func TestAddU16ToU32Twins(t *testing.T) {
	src := randU16(300, 1)
	for i := range src {
		if i%7 == 0 {
			src[i] = 65535
		}
	}
	for _, n := range []int{0, 1, 7, 8, 9, 31, 32, 33, 63, 64, 65, 130, 257} {
		for _, off := range []int{0, 1, 3} {
			s := src[off : off+n]
			dst := make([]uint32, n+5)
			want := make([]uint32, n+5)
			for i := range dst {
				dst[i] = uint32(i * 1000003)
				want[i] = dst[i]
			}
			for i, v := range s {
				want[i] += uint32(v)
			}
			addU16ToU32(dst, s)
			for i := range want {
				if dst[i] != want[i] {
					t.Fatalf("n %d off %d: dst[%d] = %d, want %d", n, off, i, dst[i], want[i])
				}
			}
			g := make([]uint32, n)
			addU16ToU32Go(g, s)
			for i := range g {
				if g[i] != uint32(s[i]) {
					t.Fatalf("scalar twin n %d: %d", n, i)
				}
			}
		}
	}
}

func TestAddRows4U16ToU32Twins(t *testing.T) {
	src := randU16(2000, 3)
	for i := range src {
		if i%5 == 0 {
			src[i] = 65535
		}
	}
	for _, n := range []int{0, 1, 7, 8, 9, 15, 16, 17, 33, 100, 257} {
		for _, off := range []int{0, 1, 3} {
			a, b := src[off:off+n], src[off+400:off+400+n]
			c, d := src[off+800:off+800+n], src[off+1200:off+1200+n]
			dst := make([]uint32, n+3)
			g := make([]uint32, n+3)
			for i := range dst {
				dst[i] = uint32(i * 7919)
				g[i] = dst[i]
			}
			addRows4U16ToU32(dst, a, b, c, d)
			addRows4U16ToU32Go(g[:n], a, b, c, d)
			for i := range dst {
				want := uint32(i * 7919)
				if i < n {
					want += uint32(a[i]) + uint32(b[i]) + uint32(c[i]) + uint32(d[i])
				}
				if dst[i] != want || g[i] != want {
					t.Fatalf("n %d off %d: [%d] simd %d go %d want %d", n, off, i, dst[i], g[i], want)
				}
			}
		}
	}
}

func TestMoments3U16Twins(t *testing.T) {
	p := randU16(700, 5)
	m := make([]float32, 700)
	mx := make([]float32, 700)
	my := make([]float32, 700)
	for i := range m {
		if i%3 != 0 {
			m[i] = 1
			mx[i] = float32(i % 64)
			my[i] = float32(i / 64)
		}
	}
	for _, n := range []int{0, 1, 7, 8, 9, 31, 32, 33, 63, 64, 65, 100, 300} {
		for _, off := range []int{0, 1, 3} {
			var ws, wx, wy float64
			for i := off; i < off+n; i++ {
				ws += float64(m[i]) * float64(p[i])
				wx += float64(mx[i]) * float64(p[i])
				wy += float64(my[i]) * float64(p[i])
			}
			s, sx, sy := moments3U16(p[off:off+n], m[off:], mx[off:], my[off:])
			gs, gx, gy := moments3Go(p[off:off+n], m[off:off+n], mx[off:off+n], my[off:off+n])
			fs, fx, fy := moments3Go(p[off:off+n], m[off:], mx[off:], my[off:])
			// Values < 1024, weights < 64, n ≤ 300: every sum is below 2^24, exact.
			for _, c := range [][4]float64{{float64(s), float64(gs), ws, float64(fs)}, {float64(sx), float64(gx), wx, float64(fx)}, {float64(sy), float64(gy), wy, float64(fy)}} {
				if c[0] != c[2] || c[1] != c[2] || c[3] != c[2] {
					t.Fatalf("n %d off %d: simd %v go %v f32 %v want %v", n, off, c[0], c[1], c[3], c[2])
				}
			}
		}
	}
}

func TestComRowsU16Twins(t *testing.T) {
	p := randU16(40*37, 7)
	for _, c := range []struct{ off, stride, rows, cols int }{
		{0, 37, 1, 8}, {3, 37, 5, 16}, {2, 37, 9, 32}, {1, 37, 7, 24}, {0, 40, 30, 40}, {5, 37, 0, 8},
	} {
		n := c.rows * c.cols
		m := make([]float32, n)
		xs := make([]float32, c.cols)
		for k := range xs {
			xs[k] = float32(3 + k)
		}
		var ws, wx, wy float64
		y0 := float32(11)
		for r := 0; r < c.rows; r++ {
			for k := 0; k < c.cols; k++ {
				i := r*c.cols + k
				if (r+k)%4 != 0 {
					m[i] = 1
				}
				v := float64(m[i]) * float64(p[c.off+r*c.stride+k])
				ws += v
				wx += float64(xs[k]) * v
				wy += (float64(y0) + float64(r)) * v
			}
		}
		s, sx, sy := comRowsU16(p[c.off:], c.stride, c.rows, c.cols, y0, m, xs)
		gs, gx, gy := comRowsGo(p[c.off:], c.stride, c.rows, c.cols, y0, m, xs)
		pf := make([]float32, len(p)-c.off)
		for i := range pf {
			pf[i] = float32(p[c.off+i])
		}
		fs, fx, fy := comRowsF32(pf, c.stride, c.rows, c.cols, y0, m, xs)
		if float64(fs) != ws || float64(fx) != wx || float64(fy) != wy {
			t.Fatalf("%+v: f32 (%v %v %v) want (%v %v %v)", c, fs, fx, fy, ws, wx, wy)
		}
		// Sums below 2^24: exact in any order.
		if float64(s) != ws || float64(sx) != wx || float64(sy) != wy || float64(gs) != ws || float64(gx) != wx || float64(gy) != wy {
			t.Fatalf("%+v: simd (%v %v %v) go (%v %v %v) want (%v %v %v)", c, s, sx, sy, gs, gx, gy, ws, wx, wy)
		}
	}
}

func BenchmarkAddRows4U16ToU32(b *testing.B) {
	src := randU16(4*16384, 2)
	dst := make([]uint32, 16384)
	b.SetBytes(int64(len(src)) * 2)
	for b.Loop() {
		addRows4U16ToU32(dst, src[:16384], src[16384:32768], src[32768:49152], src[49152:])
	}
}

func BenchmarkAddU16ToU32(b *testing.B) {
	src := randU16(16384, 2)
	dst := make([]uint32, 16384)
	b.SetBytes(int64(len(src)) * 2)
	for b.Loop() {
		addU16ToU32(dst, src)
	}
}

// TestSumU16Flush forces the uint32 flush between frames and checks the exact sum.
func TestSumU16Flush(t *testing.T) {
	const px = 5
	data := []uint16{65535, 1, 2, 3, 4, 65535, 65535, 65535, 0, 9, 7, 7, 7, 7, 7}
	tk := &sumTask{acc: make([]float64, px)}
	tk.box.set([]int{px}, sigSliceFull(px))
	tk.n32 = maxU32Frames - 5
	tk.acc32 = make([]uint32, px)
	tk.acc32[0] = 4000000000 // as if many frames were summed
	if err := sumTileU16(tk, data, 3); err != nil {
		t.Fatal(err)
	}
	tk.flush32()
	want := []float64{4000000000 + 65535 + 65535 + 7, 1 + 65535 + 7, 2 + 65535 + 7, 3 + 0 + 7, 4 + 9 + 7}
	for i := range want {
		if tk.acc[i] != want[i] {
			t.Fatalf("acc %v, want %v", tk.acc, want)
		}
	}
}

// sigSliceFull returns the 1-D signal box [0, n).
func sigSliceFull(n int) array.Slice {
	return array.NewSlice([]int{0}, array.NewShape([]int{n}, 1))
}

func BenchmarkMoments3U16(b *testing.B) {
	p := randU16(16384, 2)
	m := make([]float32, 16384)
	b.SetBytes(int64(len(p)) * 2)
	for b.Loop() {
		for c := 0; c < 16384; c += 2048 {
			moments3U16(p[c:c+2048], m[c:], m[c:], m[c:])
		}
	}
}

func TestComRowsPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("cols not a multiple of 8 accepted")
		}
	}()
	comRowsU16(make([]uint16, 100), 37, 2, 7, 0, make([]float32, 14), make([]float32, 7))
}

// TestComRowsOnes checks the unweighted kernels (nil m): against a direct float64
// loop within float32 rounding, and bit-identical to the weighted kernels with an
// all-ones m, which is what lets CoM skip the weights over a fully selected box
// without changing any result. The float32 values carry fractions and reach 2^20,
// so the sums are not exact and the summation order shows in the bits.
func TestComRowsOnes(t *testing.T) {
	u := randU16(130*140, 11)
	f := make([]float32, len(u))
	for i, v := range u {
		f[i] = float32(v)*1024 + float32(i%7)/8
	}
	for _, c := range []struct{ off, stride, rows, cols int }{
		{0, 140, 1, 8}, {3, 140, 5, 16}, {2, 140, 9, 32}, {1, 140, 7, 24}, {0, 140, 128, 136}, {5, 140, 0, 8}, {0, 128, 16, 128},
	} {
		ones := make([]float32, c.rows*c.cols)
		for i := range ones {
			ones[i] = 1
		}
		xs := make([]float32, c.cols)
		for k := range xs {
			xs[k] = float32(5 + k)
		}
		y0 := float32(17)
		var ws, wx, wy float64
		var us, ux, uy float64
		for r := 0; r < c.rows; r++ {
			for k := 0; k < c.cols; k++ {
				v := float64(f[c.off+r*c.stride+k])
				ws += v
				wx += float64(xs[k]) * v
				wy += (float64(y0) + float64(r)) * v
				w := float64(u[c.off+r*c.stride+k])
				us += w
				ux += float64(xs[k]) * w
				uy += (float64(y0) + float64(r)) * w
			}
		}
		// Every term is ≥ 0, so the classic bound of recursive float32 summation
		// applies: |error| ≤ (terms added in sequence)·2⁻²⁴·Σ|terms|. A lane adds
		// rows·cols/8 products, the row sums add rows more, the lanes 8 more.
		terms := float64(c.rows*c.cols/8 + c.rows + 8)
		near := func(got float32, want float64) bool {
			return math.Abs(float64(got)-want) <= terms*0x1p-24*want
		}
		type kern func() (float32, float32, float32)
		for _, k := range []struct {
			name          string
			nil, ones     kern
			ws2, wx2, wy2 float64
		}{
			{"f32", func() (float32, float32, float32) {
				return comRowsF32(f[c.off:], c.stride, c.rows, c.cols, y0, nil, xs)
			},
				func() (float32, float32, float32) {
					return comRowsF32(f[c.off:], c.stride, c.rows, c.cols, y0, ones, xs)
				}, ws, wx, wy},
			{"u16", func() (float32, float32, float32) {
				return comRowsU16(u[c.off:], c.stride, c.rows, c.cols, y0, nil, xs)
			},
				func() (float32, float32, float32) {
					return comRowsU16(u[c.off:], c.stride, c.rows, c.cols, y0, ones, xs)
				}, us, ux, uy},
			{"go-f32", func() (float32, float32, float32) { return comRowsGo(f[c.off:], c.stride, c.rows, c.cols, y0, nil, xs) },
				func() (float32, float32, float32) {
					return comRowsGo(f[c.off:], c.stride, c.rows, c.cols, y0, ones, xs)
				}, ws, wx, wy},
		} {
			s, sx, sy := k.nil()
			os, ox, oy := k.ones()
			if math.Float32bits(s) != math.Float32bits(os) || math.Float32bits(sx) != math.Float32bits(ox) || math.Float32bits(sy) != math.Float32bits(oy) {
				t.Fatalf("%s %+v: nil m (%v %v %v) != all-ones m (%v %v %v)", k.name, c, s, sx, sy, os, ox, oy)
			}
			if !near(s, k.ws2) || !near(sx, k.wx2) || !near(sy, k.wy2) {
				t.Fatalf("%s %+v: (%v %v %v), direct loop (%v %v %v)", k.name, c, s, sx, sy, k.ws2, k.wx2, k.wy2)
			}
		}
	}
}
