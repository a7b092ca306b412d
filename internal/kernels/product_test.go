package kernels

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
)

func TestDotAndSumDot(t *testing.T) {
	paths(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(13, 14))
		for _, n := range testLens() {
			for _, off := range offsets {
				x, y := intF32(rng, n, off), intF32(rng, n, 7-off)
				var dot, sum, sx int64
				for i := range x {
					dot += int64(x[i]) * int64(y[i])
					sum += int64(x[i])
					sx += int64(x[i]) * int64(y[i])
				}
				if got := DotF32(x, y); got != float32(dot) {
					t.Fatalf("n=%d off=%d: DotF32 = %v, want %d", n, off, got, dot)
				}
				s, d := sumDotF32(x, y)
				if s != float32(sum) || d != float32(sx) {
					t.Fatalf("n=%d off=%d: sumDot = %v, %v, want %d, %d", n, off, s, d, sum, sx)
				}
			}
		}
	})
}

func TestMaskDotF32(t *testing.T) {
	paths(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(15, 16))
		for _, depth := range []int{0, 1, 2, 3, 5} {
			for _, nm := range []int{0, 1, 3, 4, 5, 8, 9} {
				for _, px := range []int{1, 7, 8, 13, 64, 1023, 1024, 2500} {
					tile := intF32(rng, depth*px, rng.IntN(8))
					masks := intF32(rng, nm*px, rng.IntN(8))
					out := make([]float32, depth*nm)
					want := make([]float64, depth*nm)
					for i := range out {
						out[i] = float32(i)
						want[i] = float64(i)
					}
					for f := 0; f < depth; f++ {
						for m := 0; m < nm; m++ {
							for p := 0; p < px; p++ {
								want[f*nm+m] += float64(tile[f*px+p]) * float64(masks[m*px+p])
							}
						}
					}
					MaskDotF32(out, tile, masks, px)
					for i := range out {
						if float64(out[i]) != want[i] {
							t.Fatalf("depth=%d nmask=%d px=%d: out[%d] = %v, want %v", depth, nm, px, i, out[i], want[i])
						}
					}
				}
			}
		}
	})
}

func TestCoM(t *testing.T) {
	paths(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(17, 18))
		for _, sh := range [][2]int{{1, 1}, {3, 9}, {16, 16}, {17, 67}, {64, 33}} {
			h, w := sh[0], sh[1]
			for _, kind := range []string{"full", "disk", "ring", "random"} {
				mask := make([]float32, h*w)
				cy, cx := float64(h)/2, float64(w)/3
				for y := 0; y < h; y++ {
					for x := 0; x < w; x++ {
						r2 := (float64(y)-cy)*(float64(y)-cy) + (float64(x)-cx)*(float64(x)-cx)
						var in bool
						switch kind {
						case "full":
							in = true
						case "disk":
							in = r2 <= float64(h*h)/9
						case "ring":
							in = r2 <= float64(h*h)/4 && r2 > float64(h*h)/16
						case "random":
							in = rng.IntN(2) == 0
						}
						if in {
							mask[y*w+x] = 1
						}
					}
				}
				spans, err := SpansFromMask(mask, h, w)
				if err != nil {
					t.Fatal(err)
				}
				var com *CoM
				if kind == "full" {
					com, err = NewCoMFull(h, w)
				} else {
					com, err = NewCoM(h, w, spans)
				}
				if err != nil {
					t.Fatal(err)
				}
				const depth = 3
				tile := intF32(rng, depth*h*w, 1)
				out := make([]float64, 3*depth)
				com.Tile(out, tile)
				for f := 0; f < depth; f++ {
					var s, sy, sx float64
					for y := 0; y < h; y++ {
						for x := 0; x < w; x++ {
							if mask[y*w+x] != 0 {
								p := float64(tile[f*h*w+y*w+x])
								s += p
								sy += float64(y) * p
								sx += float64(x) * p
							}
						}
					}
					gs, gy, gx := com.Frame(tile[f*h*w : (f+1)*h*w])
					name := fmt.Sprintf("%dx%d %s frame %d", h, w, kind, f)
					if gs != s || gy != sy || gx != sx {
						t.Fatalf("%s: Frame = %v, %v, %v, want %v, %v, %v", name, gs, gy, gx, s, sy, sx)
					}
					if out[3*f] != s || out[3*f+1] != sy || out[3*f+2] != sx {
						t.Fatalf("%s: Tile = %v, want %v, %v, %v", name, out[3*f:3*f+3], s, sy, sx)
					}
				}
			}
		}
	})
}

func TestCoMErrors(t *testing.T) {
	cases := []struct {
		name string
		f    func() error
	}{
		{"span row", func() error { _, err := NewCoM(4, 4, []Span{{4, 0, 1}}); return err }},
		{"span x1>w", func() error { _, err := NewCoM(4, 4, []Span{{0, 0, 5}}); return err }},
		{"span reversed", func() error { _, err := NewCoM(4, 4, []Span{{0, 3, 2}}); return err }},
		{"mask size", func() error { _, err := SpansFromMask(make([]float32, 5), 2, 2); return err }},
	}
	for _, c := range cases {
		if err := c.f(); !errors.Is(err, ErrShape) {
			t.Errorf("%s: got %v, want ErrShape", c.name, err)
		}
	}
}

func TestRows4F64(t *testing.T) {
	paths(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(23, 24))
		for _, n := range testLens() {
			for _, off := range offsets {
				rows := [4][]float32{}
				for r := range rows {
					rows[r] = intF32(rng, n, (off+r)%8)
				}
				dst := make([]float64, n+2)
				wantDst := make([]float64, n)
				for i := 0; i < n; i++ {
					dst[i] = float64(i)
					wantDst[i] = float64(i)
					for r := range rows {
						wantDst[i] += float64(rows[r][i])
					}
				}
				dst[n], dst[n+1] = 99, 99
				addRows4F32ToF64(dst[:n], rows[0], rows[1], rows[2], rows[3])
				for i := 0; i < n; i++ {
					if dst[i] != wantDst[i] {
						t.Fatalf("n=%d off=%d i=%d: addRows4 %v, want %v", n, off, i, dst[i], wantDst[i])
					}
				}
				if dst[n] != 99 || dst[n+1] != 99 {
					t.Fatalf("n=%d off=%d: wrote past the end", n, off)
				}
			}
		}
	})
}

func TestGemmF32(t *testing.T) {
	paths(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(25, 26))
		for _, m := range []int{0, 1, 3, 4, 5, 9} {
			for _, n := range []int{1, 3, 7, 8, 9, 12, 15, 16, 17, 24, 28, 33} {
				for _, k := range []int{0, 1, 7, 64, 300, 1100} {
					a := intF32(rng, m*k, rng.IntN(8))
					b := intF32(rng, k*n, rng.IntN(8))
					c := make([]float32, m*n)
					want := make([]float64, m*n)
					for i := range c {
						c[i] = float32(i % 5)
						want[i] = float64(c[i])
					}
					for i := 0; i < m; i++ {
						for j := 0; j < n; j++ {
							for p := 0; p < k; p++ {
								want[i*n+j] += float64(a[i*k+p]) * float64(b[p*n+j])
							}
						}
					}
					GemmF32(c, a, b, m, k, n)
					for i := range c {
						if float64(c[i]) != want[i] {
							t.Fatalf("m=%d n=%d k=%d: c[%d] = %v, want %v", m, n, k, i, c[i], want[i])
						}
					}
				}
			}
		}
	})
}

// TestBlockKernelsLengths runs the multi-row kernels (4-row add, 2×4 dot)
// on every length 0..67 and unaligned starts against direct loops.
func TestBlockKernelsLengths(t *testing.T) {
	paths(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(27, 28))
		for _, n := range testLens() {
			for _, off := range offsets {
				var in [6][]float32
				for r := range in {
					in[r] = intF32(rng, n, (off+r)%8)
				}
				dst := make([]float32, n+off+2)[off:]
				want := make([]float32, n)
				for i := 0; i < n; i++ {
					dst[i] = float32(i % 3)
					want[i] = dst[i] + in[0][i] + in[1][i] + in[2][i] + in[3][i]
				}
				dst[n], dst[n+1] = 99, 99
				addRows4F32(dst[:n], in[0], in[1], in[2], in[3])
				for i := 0; i < n; i++ {
					if dst[i] != want[i] {
						t.Fatalf("addRows4F32 n=%d off=%d i=%d: %v, want %v", n, off, i, dst[i], want[i])
					}
				}
				if dst[n] != 99 || dst[n+1] != 99 {
					t.Fatalf("addRows4F32 n=%d off=%d: wrote past the end", n, off)
				}
				out := []float32{1, 2, 3, 4, 5, 6, 7, 8, 99}
				var wantOut [8]float32
				for f := 0; f < 2; f++ {
					for k := 0; k < 4; k++ {
						s := float32(4*f + k + 1)
						for i := 0; i < n; i++ {
							s += in[f][i] * in[2+k][i]
						}
						wantOut[4*f+k] = s
					}
				}
				dot2x4F32(out[:8], in[0], in[1], in[2], in[3], in[4], in[5])
				for i, w := range wantOut {
					if out[i] != w {
						t.Fatalf("dot2x4F32 n=%d off=%d out[%d] = %v, want %v", n, off, i, out[i], w)
					}
				}
				if out[8] != 99 {
					t.Fatalf("dot2x4F32 n=%d: wrote past out[7]", n)
				}
			}
		}
	})
}
