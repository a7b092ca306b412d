package udfs

import (
	"math"
	"math/cmplx"
	"math/rand/v2"
	"testing"

	"github.com/stemflow/stemflow/internal/kernels"
)

func TestMaskHelpers(t *testing.T) {
	tests := []struct {
		name string
		got  []float32
		want []float32
	}{
		{"disk r=1 centre", Disk(3, 3, 1, 1, 1), []float32{0, 1, 0, 1, 1, 1, 0, 1, 0}},
		{"disk r=sqrt2 includes boundary", Disk(3, 3, 1, 1, math.Sqrt2), []float32{1, 1, 1, 1, 1, 1, 1, 1, 1}},
		{"disk r=0 only centre", Disk(2, 3, 1, 2, 0), []float32{0, 0, 0, 0, 0, 1}},
		{"disk inf", Disk(2, 2, 100, -5, math.Inf(1)), []float32{1, 1, 1, 1}},
		{"disk fractional centre", Disk(2, 2, 0.5, 0.5, 0.75), []float32{1, 1, 1, 1}},
		{"disk fractional small", Disk(2, 2, 0.5, 0.5, 0.7), []float32{0, 0, 0, 0}},
		{"ring excludes inner boundary", Ring(3, 3, 1, 1, 1, 0), []float32{0, 1, 0, 1, 0, 1, 0, 1, 0}},
		{"ring 1..sqrt2", Ring(3, 3, 1, 1, math.Sqrt2, 1), []float32{1, 0, 1, 0, 0, 0, 1, 0, 1}},
		{"point", Point(2, 3, 1, 0), []float32{0, 0, 0, 1, 0, 0}},
		{"point outside", Point(2, 3, 2, 0), []float32{0, 0, 0, 0, 0, 0}},
		{"gradient y", GradientY(2, 3), []float32{0, 0, 0, 1, 1, 1}},
		{"gradient x", GradientX(2, 3), []float32{0, 1, 2, 0, 1, 2}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if len(tc.got) != len(tc.want) {
				t.Fatalf("len %d, want %d", len(tc.got), len(tc.want))
			}
			for i := range tc.want {
				if tc.got[i] != tc.want[i] {
					t.Fatalf("got %v, want %v", tc.got, tc.want)
				}
			}
		})
	}
}

func TestGradient2D(t *testing.T) {
	// f = y² + 3x on a 4×3 grid; numpy.gradient by hand.
	f := []float64{
		0, 3, 6,
		1, 4, 7,
		4, 7, 10,
		9, 12, 15,
	}
	gy := gradient2D(f, 4, 3, 0)
	wantY := []float64{1, 1, 1, 2, 2, 2, 4, 4, 4, 5, 5, 5}
	gx := gradient2D(f, 4, 3, 1)
	wantX := []float64{3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3}
	for i := range f {
		if gy[i] != wantY[i] || gx[i] != wantX[i] {
			t.Fatalf("gy %v gx %v", gy, gx)
		}
	}
	// Length-1 axis: derivative 0.
	for _, v := range gradient2D([]float64{1, 5, 2}, 1, 3, 0) {
		if v != 0 {
			t.Fatal("length-1 axis not zero")
		}
	}
}

func TestCoMPostRotationAndShifts(t *testing.T) {
	// One 1×2 nav grid; frame sums give com (4, 2) and (1, 1) with reference (1, 1).
	base := comPost{ny: 1, nx: 2, sums: []float64{2, 8, 4, 0, 0, 0}, valid: []bool{true, true}, cy: 1, cx: 1}
	tests := []struct {
		name     string
		rot      float64
		flip     bool
		fy0, fx0 float64
	}{
		{"identity", 0, false, 3, 1},
		{"rot90", 90, false, 1, -3}, // [[c,s],[-s,c]]·(3,1) = (1, −3)
		{"flip", 0, true, -3, 1},
		{"flip rot90", 90, true, 1, 3}, // R·F·(3,1) = R·(−3,1) = (1, 3)
		{"rot180", 180, false, -3, -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := base
			p.scanRotation, p.flipY = tc.rot, tc.flip
			o, err := p.run()
			if err != nil {
				t.Fatal(err)
			}
			if o.rawShifts[0] != 3 || o.rawShifts[1] != 1 || o.rawCom[0] != 4 || o.rawCom[1] != 2 {
				t.Fatalf("shifts %v com %v", o.rawShifts, o.rawCom)
			}
			// Σ = 0 → shift 0, com = reference.
			if o.rawShifts[2] != 0 || o.rawShifts[3] != 0 || o.rawCom[2] != 1 || o.rawCom[3] != 1 {
				t.Fatalf("zero-sum position: shifts %v com %v", o.rawShifts[2:], o.rawCom[2:])
			}
			if math.Abs(o.field[0]-tc.fy0) > 1e-12 || math.Abs(o.field[1]-tc.fx0) > 1e-12 {
				t.Fatalf("field %v, want (%v, %v)", o.field[:2], tc.fy0, tc.fx0)
			}
			if math.Abs(o.magnitude[0]-math.Sqrt(10)) > 1e-12 {
				t.Fatalf("magnitude %v", o.magnitude[0])
			}
		})
	}
}

// planeSums builds Σ arrays whose shifts are a plane a + b·y + c·x per component.
func planeSums(ny, nx int, reg [3][2]float64, cy, cx float64) []float64 {
	s := make([]float64, 3*ny*nx)
	for y := 0; y < ny; y++ {
		for x := 0; x < nx; x++ {
			i := y*nx + x
			dy := reg[0][0] + reg[1][0]*float64(y) + reg[2][0]*float64(x)
			dx := reg[0][1] + reg[1][1]*float64(y) + reg[2][1]*float64(x)
			s[3*i] = 2
			s[3*i+1] = 2 * (dy + cy)
			s[3*i+2] = 2 * (dx + cx)
		}
	}
	return s
}

func TestCoMRegression(t *testing.T) {
	want := [3][2]float64{{-2, 1}, {2, 1}, {3, 4}}
	ny, nx := 5, 8
	valid := make([]bool, ny*nx)
	for i := range valid {
		valid[i] = true
	}
	valid[3], valid[11] = false, false
	sums := planeSums(ny, nx, want, 3, 3)
	// Garbage at invalid positions must not affect the fit.
	sums[3*3], sums[3*3+1] = 1, 1000
	tests := []struct {
		name    string
		reg     Regression
		wantReg [3][2]float64
		flat    bool // field is 0 on valid positions
	}{
		{"linear", RegressionLinear, want, true},
		{"explicit", RegressionMatrix(want), want, true},
		{"none", RegressionNone, [3][2]float64{}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := comPost{ny: ny, nx: nx, sums: sums, valid: valid, cy: 3, cx: 3, regression: tc.reg}
			o, err := p.run()
			if err != nil {
				t.Fatal(err)
			}
			for i := range 3 {
				for j := range 2 {
					if math.Abs(o.regression[i][j]-tc.wantReg[i][j]) > 1e-10 {
						t.Fatalf("regression %v, want %v", o.regression, tc.wantReg)
					}
				}
			}
			if tc.flat {
				for i, ok := range valid {
					if ok && (math.Abs(o.field[2*i]) > 1e-10 || math.Abs(o.field[2*i+1]) > 1e-10) {
						t.Fatalf("field at %d = %v", i, o.field[2*i:2*i+2])
					}
				}
			}
		})
	}
	// Mean: explicit check against a direct mean over valid positions.
	p := comPost{ny: ny, nx: nx, sums: sums, valid: valid, cy: 3, cx: 3, regression: RegressionMean}
	o, err := p.run()
	if err != nil {
		t.Fatal(err)
	}
	var my, mx float64
	cnt := 0
	for y := 0; y < ny; y++ {
		for x := 0; x < nx; x++ {
			if valid[y*nx+x] {
				my += want[0][0] + want[1][0]*float64(y) + want[2][0]*float64(x)
				mx += want[0][1] + want[1][1]*float64(y) + want[2][1]*float64(x)
				cnt++
			}
		}
	}
	my /= float64(cnt)
	mx /= float64(cnt)
	if math.Abs(o.regression[0][0]-my) > 1e-12 || math.Abs(o.regression[0][1]-mx) > 1e-12 || o.regression[1] != [2]float64{} {
		t.Fatalf("mean regression %v, want %v %v", o.regression, my, mx)
	}
}

func TestRegressionOrder(t *testing.T) {
	for _, n := range []int{-1, 0, 1} {
		if _, err := RegressionOrder(n); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range []int{-2, 2, 5} {
		if _, err := RegressionOrder(n); err == nil {
			t.Fatalf("order %d accepted", n)
		}
	}
}

func TestCoMDivergenceCurl(t *testing.T) {
	// Field (fy, fx) = (y², x·y) on 4×3: div = 2y (interior central) + y; curl = d(y²)/dx − d(xy)/dy = −x.
	ny, nx := 4, 3
	sums := make([]float64, 3*ny*nx)
	valid := make([]bool, ny*nx)
	for y := 0; y < ny; y++ {
		for x := 0; x < nx; x++ {
			i := y*nx + x
			sums[3*i] = 1
			sums[3*i+1] = float64(y * y)
			sums[3*i+2] = float64(x * y)
			valid[i] = true
		}
	}
	o, err := (&comPost{ny: ny, nx: nx, sums: sums, valid: valid}).run()
	if err != nil {
		t.Fatal(err)
	}
	// numpy.gradient of y² along y: [1, 2, 4, 5] per column (edges one-sided).
	dyy := []float64{1, 2, 4, 5}
	for y := 0; y < ny; y++ {
		for x := 0; x < nx; x++ {
			i := y*nx + x
			wantDiv := dyy[y] + float64(y)
			wantCurl := -float64(x)
			if o.divergence[i] != wantDiv || o.curl[i] != wantCurl {
				t.Fatalf("(%d,%d): div %v curl %v, want %v %v", y, x, o.divergence[i], o.curl[i], wantDiv, wantCurl)
			}
		}
	}
}

// directStats returns per-pixel sum and population varsum in float64 (two passes).
func directStats(data []float32, frames, px int) (sum, varsum []float64) {
	sum = make([]float64, px)
	varsum = make([]float64, px)
	for f := 0; f < frames; f++ {
		for p := 0; p < px; p++ {
			sum[p] += float64(data[f*px+p])
		}
	}
	for p := 0; p < px; p++ {
		m := sum[p] / float64(frames)
		for f := 0; f < frames; f++ {
			d := float64(data[f*px+p]) - m
			varsum[p] += d * d
		}
	}
	return sum, varsum
}

// stdFeed adds frames × px data to a fresh box in tiles of the given depths and
// returns the box with its open block folded.
func stdFeed[T realNumber](data []T, px int, depths []int) *stdBox {
	b := &stdBox{k: make([]float64, px), s: make([]float64, px), q: make([]float64, px), sum: make([]float64, px), varsum: make([]float64, px)}
	off := 0
	for _, d := range depths {
		stdAddReal(b, data[off*px:(off+d)*px], d, px, kernels.StdShiftReal[T])
		off += d
	}
	b.fold()
	return b
}

// TestStdTileAndMerge compares the blocks, fed in tiles of various depths, and the
// pairwise merge of two halves with a direct two-pass float64 loop. Data in [0, 1)
// with outliers of 1e4: the mean/std ratio is small, so the one-pass blocks and the
// merges are accurate to a few hundred ulps; 1e-12 relative is far below the float32
// input resolution and far above that rounding. Every tiling must give the same bits.
func TestStdTileAndMerge(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	const px = 1031 // odd
	frames := 300
	data := make([]float32, frames*px)
	for i := range data {
		data[i] = float32(r.Float64())
		if r.IntN(97) == 0 {
			data[i] = 1e4 // outliers
		}
	}
	wantS, wantV := directStats(data, frames, px)
	var first *stdBox
	for _, depths := range [][]int{{300}, {1, 299}, {7, 7, 7, 279}, {100, 100, 100}, {65, 1, 234}, {64, 64, 172}} {
		b := stdFeed(data, px, depths)
		if b.n != int64(frames) {
			t.Fatalf("n = %d", b.n)
		}
		for p := range px {
			if math.Abs(b.sum[p]-wantS[p]) > 1e-12*math.Abs(wantS[p]) || math.Abs(b.varsum[p]-wantV[p]) > 1e-12*wantV[p] {
				t.Fatalf("depths %v px %d: sum %v var %v, want %v %v", depths, p, b.sum[p], b.varsum[p], wantS[p], wantV[p])
			}
		}
		if first == nil {
			first = b
			continue
		}
		for p := range px {
			if math.Float64bits(b.sum[p]) != math.Float64bits(first.sum[p]) || math.Float64bits(b.varsum[p]) != math.Float64bits(first.varsum[p]) {
				t.Fatalf("depths %v px %d: %v %v, not the bits of one tile %v %v", depths, p, b.sum[p], b.varsum[p], first.sum[p], first.varsum[p])
			}
		}
	}
	// Merge of two halves, including empty partials.
	a := stdFeed(data[:120*px], px, []int{120})
	b := stdFeed(data[120*px:], px, []int{frames - 120})
	d, dv := make([]float64, px), make([]float64, px)
	var n int64
	z, zv := make([]float64, px), make([]float64, px) // an empty partial
	n = kernels.StdMerge(n, d, dv, 0, z, zv)
	n = kernels.StdMerge(n, d, dv, a.n, a.sum, a.varsum)
	n = kernels.StdMerge(n, d, dv, 0, z, zv)
	n = kernels.StdMerge(n, d, dv, b.n, b.sum, b.varsum)
	if n != int64(frames) {
		t.Fatalf("merged n %d", n)
	}
	for p := range px {
		if math.Abs(d[p]-wantS[p]) > 1e-12*math.Abs(wantS[p]) || math.Abs(dv[p]-wantV[p]) > 1e-12*wantV[p] {
			t.Fatalf("merge px %d: %v %v want %v %v", p, d[p], dv[p], wantS[p], wantV[p])
		}
	}
}

// TestStdShiftRealMatchesKernel: the generic Go blocks give the bits of the float32
// kernel (the same operations in the same order), so float32 data read as float32 or
// as any wider type reduce alike.
func TestStdShiftRealMatchesKernel(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	const px, frames = 77, 150
	data := make([]float32, frames*px)
	for i := range data {
		data[i] = float32(r.NormFloat64()*5 + 1e3)
	}
	data[3] = float32(math.Inf(1))
	data[px+5] = float32(math.NaN())
	f64 := make([]float64, len(data))
	for i, v := range data {
		f64[i] = float64(v)
	}
	depths := []int{16, 16, 40, 78}
	g := stdFeed(f64, px, depths)
	k := &stdBox{k: make([]float64, px), s: make([]float64, px), q: make([]float64, px), sum: make([]float64, px), varsum: make([]float64, px)}
	off := 0
	for _, d := range depths {
		stdAddReal(k, data[off*px:(off+d)*px], d, px, kernels.StdShiftF32)
		off += d
	}
	k.fold()
	for p := range px {
		if !sameF64(g.sum[p], k.sum[p]) || !sameF64(g.varsum[p], k.varsum[p]) {
			t.Fatalf("px %d: Go %v %v, kernel %v %v", p, g.sum[p], g.varsum[p], k.sum[p], k.varsum[p])
		}
	}
}

func sameF64(a, b float64) bool {
	return math.Float64bits(a) == math.Float64bits(b) || (math.IsNaN(a) && math.IsNaN(b))
}

// TestStdTileComplex compares complex blocks (fed in two tiles, across a block
// boundary) with a direct two-pass loop over |x − mean|².
func TestStdTileComplex(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	const px, frames = 600, 70
	data := make([]complex128, frames*px)
	for i := range data {
		data[i] = complex(r.NormFloat64(), 3*r.NormFloat64()+1)
	}
	b := &stdBox{kC: make([]complex128, px), sC: make([]complex128, px), q: make([]float64, px), sumC: make([]complex128, px), varsum: make([]float64, px)}
	stdAddComplex(b, data[:5*px], 5, px)
	stdAddComplex(b, data[5*px:], frames-5, px)
	b.fold()
	for p := range px {
		var s complex128
		for f := range frames {
			s += data[f*px+p]
		}
		m := s / frames
		var v float64
		for f := range frames {
			d := cmplx.Abs(data[f*px+p] - m)
			v += d * d
		}
		if cmplx.Abs(b.sumC[p]-s) > 1e-12*cmplx.Abs(s) || math.Abs(b.varsum[p]-v) > 1e-12*v {
			t.Fatalf("px %d: %v %v want %v %v (n %d)", p, b.sumC[p], b.varsum[p], s, v, b.n)
		}
	}
}

func TestFEMStd(t *testing.T) {
	frame := make([]float32, 5*6)
	for i := range frame {
		frame[i] = float32((i * 7) % 13)
	}
	p := newFEMPlan(5, 6, 2, 3, 1, 2)
	var vals []float64
	for y := 0; y < 5; y++ {
		for x := 0; x < 6; x++ {
			d2 := float64((y-2)*(y-2) + (x-3)*(x-3))
			if d2 > 1 && d2 <= 4 {
				vals = append(vals, float64(frame[y*6+x]))
			}
		}
	}
	var m float64
	for _, v := range vals {
		m += v
	}
	m /= float64(len(vals))
	var vv float64
	for _, v := range vals {
		vv += (v - m) * (v - m)
	}
	want := math.Sqrt(vv / float64(len(vals)))
	if got := femStd(p, frame); math.Abs(got-want) > 1e-12 {
		t.Fatalf("std %v want %v", got, want)
	}
	if got := femStd(newFEMPlan(5, 6, 2, 3, 3, 2), frame); !math.IsNaN(got) {
		t.Fatalf("empty selection %v, want NaN", got)
	}
}

func TestCrystallinityAgainstDFT(t *testing.T) {
	for _, dims := range [][2]int{{8, 6}, {7, 5}, {6, 9}} {
		sy, sx := dims[0], dims[1]
		frame := make([]float32, sy*sx)
		for i := range frame {
			frame[i] = float32((i*5)%11) - 3
		}
		rc := [2]float64{2, 3}
		for _, real := range []bool{false, true} {
			var p *crystPlan
			var rm []float64
			if real {
				p = newCrystPlan(sy, sx, 1, 3, &rc, 1.5)
				rm = make([]float64, sy*sx)
				for y := range sy {
					for x := range sx {
						if float64((y-2)*(y-2)+(x-3)*(x-3)) > 2.25 {
							rm[y*sx+x] = 1
						}
					}
				}
			} else {
				p = newCrystPlan(sy, sx, 1, 3, nil, 0)
			}
			// Direct: full 2-D DFT, fftshift, ring mask around (sy/2, sx/2), keep the
			// columns of the rfft half plane (first sx/2+1 of the shifted mask).
			var want float64
			for ky := range sy {
				for kx := 0; kx < sx/2+1; kx++ {
					var c complex128
					for y := range sy {
						for x := range sx {
							v := float64(frame[y*sx+x])
							if rm != nil {
								v *= rm[y*sx+x]
							}
							ang := -2 * math.Pi * (float64(ky*y)/float64(sy) + float64(kx*x)/float64(sx))
							c += complex(v*math.Cos(ang), v*math.Sin(ang))
						}
					}
					// The shifted mask at (ky, kx) is the unshifted one at
					// ((ky − sy/2) mod sy, (kx − sx/2) mod sx).
					oy := ((ky-sy/2)%sy + sy) % sy
					ox := ((kx-sx/2)%sx + sx) % sx
					dy, dx := float64(oy)-float64(sy)/2, float64(ox)-float64(sx)/2
					d2 := dy*dy + dx*dx
					if d2 > 1 && d2 <= 9 {
						want += cmplx.Abs(c)
					}
				}
			}
			if got := crystValue(p, frame); math.Abs(got-want) > 1e-9*math.Abs(want) {
				t.Fatalf("%dx%d real=%v: %v want %v", sy, sx, real, got, want)
			}
		}
	}
}

func TestLogsumFrame(t *testing.T) {
	frame := []float32{3, -1, 7, 0.5}
	acc := []float64{1, 0, 0, 0}
	logsumFrame(acc, frame)
	want := []float64{1 + math.Log(5), math.Log(1), math.Log(9), math.Log(2.5)}
	for i := range want {
		if math.Abs(acc[i]-want[i]) > 1e-15 {
			t.Fatalf("%v want %v", acc, want)
		}
	}
}
