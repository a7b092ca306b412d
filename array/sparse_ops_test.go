package array

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

// refMul is the direct triple loop: out (f×m) = a (f×p) · b (p×m), all row-major.
func refMul(a, b []float64, f, p, m int) []float64 {
	out := make([]float64, f*m)
	for i := 0; i < f; i++ {
		for j := 0; j < m; j++ {
			var s float64
			for k := 0; k < p; k++ {
				s += a[i*p+k] * b[k*m+j]
			}
			out[i*m+j] = s
		}
	}
	return out
}

// transpose returns the row-major transpose of the r×c matrix x.
func transpose(x []float64, r, c int) []float64 {
	out := make([]float64, r*c)
	for i := 0; i < r; i++ {
		for j := 0; j < c; j++ {
			out[j*r+i] = x[i*c+j]
		}
	}
	return out
}

func closeTo(a, b []float64, tol float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Abs(a[i]-b[i]) > tol*(1+math.Abs(b[i])) {
			return false
		}
	}
	return true
}

func TestSparseProducts(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	const f, p, m = 9, 37, 5
	for _, density := range []float64{0.05, 0.3, 1} {
		aD, ari, aci, av := randSparse(rng, f, p, density) // tile f×p
		sD, sri, sci, sv := randSparse(rng, m, p, density) // mask stack m×p
		masksT := transpose(sD, m, p)                      // p×m
		want := refMul(aD, masksT, f, p, m)                // a · masksᵀ
		prefill := make([]float64, f*m)
		for i := range prefill {
			prefill[i] = float64(i % 3)
		}
		for i := range want {
			want[i] += prefill[i]
		}
		aCSR, _ := CSRFromCOO[float64, int32](f, p, ari, aci, av)
		sCSR, _ := CSRFromCOO[float64, int32](m, p, sri, sci, sv)
		sCSC, _ := CSCFromCOO[float64, int32](p, m, sci, sri, sv) // p×m, one mask per column
		sPix := sCSC.ToCSR()                                      // p×m pixel-major CSR
		aDense := Wrap(aD, f, p)
		// Unsorted copy of the tile (rows reversed) exercises the scatter fallback.
		aUnsorted := aCSR.Clone()
		for r := 0; r < f; r++ {
			lo, hi := aUnsorted.Indptr[r], aUnsorted.Indptr[r+1]
			for x, y := lo, hi-1; x < y; x, y = x+1, y-1 {
				aUnsorted.Indices[x], aUnsorted.Indices[y] = aUnsorted.Indices[y], aUnsorted.Indices[x]
				aUnsorted.Data[x], aUnsorted.Data[y] = aUnsorted.Data[y], aUnsorted.Data[x]
			}
		}
		cases := []struct {
			name string
			run  func(dst *Dense[float64]) error
		}{
			{"DenseCSRT", func(d *Dense[float64]) error { return MulAddDenseCSRT(d, aDense, sCSR) }},
			{"DenseCSC", func(d *Dense[float64]) error { return MulAddDenseCSC(d, aDense, sCSC) }},
			{"CSRDense", func(d *Dense[float64]) error { return MulAddCSRDense(d, aCSR, Wrap(masksT, p, m)) }},
			{"CSRDenseT", func(d *Dense[float64]) error { return MulAddCSRDenseT(d, aCSR, Wrap(sD, m, p)) }},
			{"CSRCSR", func(d *Dense[float64]) error { return MulAddCSRCSR(d, aCSR, sPix) }},
			{"CSRCSRT", func(d *Dense[float64]) error { return MulAddCSRCSRT(d, aCSR, sCSR) }},
			{"CSRCSC", func(d *Dense[float64]) error { return MulAddCSRCSC(d, aCSR, sCSC) }},
			{"CSRCSRT unsorted", func(d *Dense[float64]) error { return MulAddCSRCSRT(d, aUnsorted, sCSR) }},
			// A 3-D dense tile (f, 1, p) and a (f, m) destination of another shape.
			{"DenseCSRT 3-D", func(d *Dense[float64]) error { return MulAddDenseCSRT(d, Wrap(aD, f, 1, p), sCSR) }},
		}
		for _, tc := range cases {
			dst := Wrap(append([]float64(nil), prefill...), f, m)
			if err := tc.run(dst); err != nil {
				t.Fatalf("%s density %v: %v", tc.name, density, err)
			}
			if !closeTo(dst.Data(), want, 1e-12) {
				t.Fatalf("%s density %v:\n got %v\nwant %v", tc.name, density, dst.Data(), want)
			}
		}
	}
}

func TestSparseProductShapeErrors(t *testing.T) {
	a := ZerosCSR[float32, int32](3, 4)
	b := ZerosCSR[float32, int32](2, 5)
	dst := Zeros[float32](3, 2)
	checks := map[string]error{
		"DenseCSRT": MulAddDenseCSRT(dst, Zeros[float32](3, 4), b),
		"DenseCSC":  MulAddDenseCSC(dst, Zeros[float32](3, 4), b.T()),
		"CSRDense":  MulAddCSRDense(dst, a, Zeros[float32](5, 2)),
		"CSRDenseT": MulAddCSRDenseT(dst, a, Zeros[float32](2, 5)),
		"CSRCSR":    MulAddCSRCSR(dst, a, b),
		"CSRCSRT":   MulAddCSRCSRT(dst, a, b),
		"CSRCSC":    MulAddCSRCSC(dst, a, b.T()),
		"dst size":  MulAddCSRCSRT(Zeros[float32](3, 3), a, ZerosCSR[float32, int32](2, 4)),
		"dst strided": MulAddCSRCSRT(Zeros[float32](2, 3).Transpose(1, 0), a,
			ZerosCSR[float32, int32](2, 4)),
		"log": LogScaleInto(Zeros[float32](2, 4), a),
	}
	for name, err := range checks {
		if !errors.Is(err, ErrShape) {
			t.Errorf("%s: err = %v, want ErrShape", name, err)
		}
	}
}

func TestMulAddDenseCSRTNoAllocs(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	aD, _, _, _ := randSparse(rng, 8, 64, 1)
	_, ri, ci, v := randSparse(rng, 4, 64, 0.1)
	masks, _ := CSRFromCOO[float32, int32](4, 64, ri, ci, convertSlice[float32](v))
	a := Wrap(convertSlice[float32](aD), 8, 64)
	dst := Zeros[float32](8, 4)
	if n := testing.AllocsPerRun(20, func() { _ = MulAddDenseCSRT(dst, a, masks) }); n != 0 {
		t.Fatalf("MulAddDenseCSRT allocates %v times per call", n)
	}
}

func TestLogScaleHandComputed(t *testing.T) {
	// Row 0: [0 3 0 -1] → min -1 (stored), implicit zeros → log(2).
	// Row 1: [0 4 0 0]  → min 0 (implicit), log(x+1): [0 log5 0 0].
	// Row 2: [2 5 3 4]  → fully stored, min 2: [0 log4 log2 log3].
	m, err := CSRFromCOO[float64, int32](3, 4,
		[]int{0, 0, 1, 2, 2, 2, 2},
		[]int{1, 3, 1, 0, 1, 2, 3},
		[]float64{3, -1, 4, 2, 5, 3, 4})
	if err != nil {
		t.Fatal(err)
	}
	l2, l3, l4, l5 := math.Log(2), math.Log(3), math.Log(4), math.Log(5)
	want := []float64{
		l2, l5, l2, 0,
		0, l5, 0, 0,
		0, l4, l2, l3,
	}
	if RowMin(m, 0) != -1 || RowMin(m, 1) != 0 || RowMin(m, 2) != 2 {
		t.Fatalf("RowMin: %v %v %v", RowMin(m, 0), RowMin(m, 1), RowMin(m, 2))
	}
	dst := Zeros[float64](3, 4)
	dst.Fill(-7)
	if err := LogScaleInto(dst, m); err != nil {
		t.Fatal(err)
	}
	if !closeTo(dst.Data(), want, 1e-15) {
		t.Fatalf("LogScaleInto = %v, want %v", dst.Data(), want)
	}
	sum := []float64{1, 1, 1, 1}
	AddLogScaledSumAxis0(sum, m)
	wantSum := []float64{1 + l2 + 0 + 0, 1 + l5 + l5 + l4, 1 + l2 + 0 + l2, 1 + 0 + 0 + l3}
	if !closeTo(sum, wantSum, 1e-15) {
		t.Fatalf("AddLogScaledSumAxis0 = %v, want %v", sum, wantSum)
	}
	// Row 0 would densify; rows 1–2 alone stay sparse.
	var ls CSR[float64, int32]
	if err := LogScaleCSRInto(&ls, m); !errors.Is(err, ErrDensifies) {
		t.Fatalf("LogScaleCSRInto on a densifying row: %v", err)
	}
	tail := m.SliceRows(1, 3)
	if err := LogScaleCSRInto(&ls, tail); err != nil {
		t.Fatal(err)
	}
	if !closeTo(ls.ToDense().Data(), want[4:], 1e-15) {
		t.Fatalf("LogScaleCSRInto = %v, want %v", ls.ToDense().Data(), want[4:])
	}
}

func TestLogScaleRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	const rows, cols = 25, 30
	src, ri, ci, v := randSparse(rng, rows, cols, 0.3)
	// Make two rows fully stored, one with a positive and one with a negative minimum.
	for _, r := range []int{3, 7} {
		for j := 0; j < cols; j++ {
			if src[r*cols+j] == 0 {
				x := float64(j%5 + 1)
				if r == 7 && j == 2 {
					x = -3
				}
				src[r*cols+j] = x
				ri, ci, v = append(ri, r), append(ci, j), append(v, x)
			}
		}
	}
	m, _ := CSRFromCOO[float32, int32](rows, cols, ri, ci, convertSlice[float32](v))
	// Direct loop over the dense frames.
	wantTile := make([]float64, rows*cols)
	wantSum := make([]float64, cols)
	for i := 0; i < rows; i++ {
		mn := math.Inf(1)
		for j := 0; j < cols; j++ {
			mn = math.Min(mn, src[i*cols+j])
		}
		for j := 0; j < cols; j++ {
			x := math.Log(src[i*cols+j] - mn + 1)
			wantTile[i*cols+j] = x
			wantSum[j] += x
		}
	}
	dst := Zeros[float32](rows, cols)
	if err := LogScaleInto(dst, m); err != nil {
		t.Fatal(err)
	}
	got := make([]float64, len(dst.Data()))
	for i, x := range dst.Data() {
		got[i] = float64(x)
	}
	if !closeTo(got, wantTile, 1e-6) {
		t.Fatal("LogScaleInto differs from the direct loop")
	}
	sum := make([]float32, cols)
	AddLogScaledSumAxis0(sum, m)
	gotSum := make([]float64, cols)
	for i, x := range sum {
		gotSum[i] = float64(x)
	}
	if !closeTo(gotSum, wantSum, 1e-5) {
		t.Fatalf("AddLogScaledSumAxis0 = %v, want %v", gotSum, wantSum)
	}
}

// benchMasks returns a CSR mask stack (masks×p) whose stored entries number density·p
// in all (the design's "nnz = 10 % of pixels"): thin rings around the centre of a
// side×side frame.
func benchMasks(masks, side int, density float64) *CSR[float32, int32] {
	p := side * side
	perMask := int(density * float64(p) / float64(masks)) // total stored entries = density·p
	var ri, ci []int
	var v []float32
	c := float64(side) / 2
	// Sort pixels by radius; mask k takes the band [k·perMask/masks...] of a ring order.
	type px struct {
		i int
		r float64
	}
	order := make([]px, p)
	for y := 0; y < side; y++ {
		for x := 0; x < side; x++ {
			order[y*side+x] = px{y*side + x, math.Hypot(float64(y)-c, float64(x)-c)}
		}
	}
	// Bucket by integer radius: a ring order of the pixels.
	buckets := make([][]int, side)
	for _, q := range order {
		b := min(int(q.r), side-1)
		buckets[b] = append(buckets[b], q.i)
	}
	var ring []int
	for _, b := range buckets {
		ring = append(ring, b...)
	}
	for k := 0; k < masks; k++ {
		start := k * len(ring) / masks
		for n := 0; n < perMask && start+n < len(ring); n++ {
			ri = append(ri, k)
			ci = append(ci, ring[start+n])
			v = append(v, 1+float32(n%3))
		}
	}
	m, err := CSRFromCOO[float32, int32](masks, p, ri, ci, v)
	if err != nil {
		panic(err)
	}
	return m
}

// BenchmarkMulAddDenseCSRT: dense frames (256×256 float32) × a sparse stack of 16
// masks at 1 % and 10 % density, one and two goroutines; GB/s of frames.
func BenchmarkMulAddDenseCSRT(b *testing.B) {
	const side, nmasks = 256, 16
	frames := 256
	if testing.Short() {
		frames = 32
	}
	p := side * side
	data := make([]float32, frames*p)
	for i := range data {
		data[i] = float32(i % 7)
	}
	for _, density := range []float64{0.01, 0.10} {
		masks := benchMasks(nmasks, side, density)
		for _, workers := range []int{1, 2} {
			name := "density=" + map[float64]string{0.01: "1%", 0.10: "10%"}[density] + "/goroutines=" + string(rune('0'+workers))
			b.Run(name, func(b *testing.B) {
				out := make([]float32, frames*nmasks)
				per := frames / workers
				parts := make([]struct{ a, d *Dense[float32] }, workers)
				for w := range parts {
					parts[w].a = Wrap(data[w*per*p:(w+1)*per*p], per, p)
					parts[w].d = Wrap(out[w*per*nmasks:(w+1)*per*nmasks], per, nmasks)
				}
				b.SetBytes(int64(frames * p * 4))
				b.ReportAllocs()
				b.ResetTimer()
				for b.Loop() {
					if workers == 1 {
						_ = MulAddDenseCSRT(parts[0].d, parts[0].a, masks)
						continue
					}
					done := make(chan struct{}, workers)
					for w := range parts {
						go func() {
							_ = MulAddDenseCSRT(parts[w].d, parts[w].a, masks)
							done <- struct{}{}
						}()
					}
					for range parts {
						<-done
					}
				}
				b.ReportMetric(float64(frames*p*4)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
				b.ReportMetric(float64(masks.NNZ())/float64(p), "nnz/px")
			})
		}
	}
}

// BenchmarkSparseTileMasks: a CSR tile of 64 frames (256×256 pixels, 1 % stored — event
// data) times 16 masks, given dense (MulAddCSRDenseT; MulAddCSRDense with the stack
// transposed to pixels × masks), as a CSC stack at 10 % density
// (MulAddCSRCSC) and pixel-major CSR (MulAddCSRCSR). Frames/s and dense-equivalent GB/s.
func BenchmarkSparseTileMasks(b *testing.B) {
	const side, nmasks, frames = 256, 16, 64
	p := side * side
	rng := rand.New(rand.NewPCG(3, 3))
	var ri, ci []int
	var v []float32
	for f := 0; f < frames; f++ {
		for k := 0; k < p/100; k++ {
			ri, ci, v = append(ri, f), append(ci, rng.IntN(p)), append(v, 1)
		}
	}
	tile, _ := CSRFromCOO[float32, int32](frames, p, ri, ci, v)
	sparse := benchMasks(nmasks, side, 0.10)
	denseMasks := sparse.ToDense()
	denseT := sparse.T().ToDense() // (p, masks)
	csc := sparse.T()              // (p, masks), one mask per column
	pixMajor := csc.ToCSR()        // (p, masks) row per pixel
	dst := Zeros[float32](frames, nmasks)
	cases := []struct {
		name string
		run  func() error
	}{
		{"dense-masks", func() error { return MulAddCSRDenseT(dst, tile, denseMasks) }},
		{"dense-masks-transposed", func() error { return MulAddCSRDense(dst, tile, denseT) }},
		{"csc-masks", func() error { return MulAddCSRCSC(dst, tile, csc) }},
		{"pixel-major-masks", func() error { return MulAddCSRCSR(dst, tile, pixMajor) }},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := tc.run(); err != nil {
					b.Fatal(err)
				}
			}
			s := b.Elapsed().Seconds()
			b.ReportMetric(float64(frames*b.N)/s, "frames/s")
			b.ReportMetric(float64(frames*p*4*b.N)/s/1e9, "GB/s-dense")
		})
	}
}
