package udfs

import (
	"fmt"
	"math"
	"math/cmplx"
	"math/rand/v2"
	"testing"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/dataset"
)

// stdDirect is the textbook two-pass statistics of the selected frames in float64
// (complex128): per pixel Σx, then Σ|x − mean|².
func stdDirect(vals []complex128, frames, px int, roi []bool) (sum []complex128, varsum []float64, n int) {
	sum, varsum = make([]complex128, px), make([]float64, px)
	sel := selected(frames, roi)
	for p := range px {
		for _, f := range sel {
			sum[p] += vals[f*px+p]
		}
		mean := sum[p] / complex(float64(len(sel)), 0)
		for _, f := range sel {
			d := vals[f*px+p] - mean
			varsum[p] += real(d)*real(d) + imag(d)*imag(d)
		}
	}
	return sum, varsum, len(sel)
}

// TestStdDevAgainstDirect runs StdDev through the engine on every numeric dtype, two
// shapes (one with signal boxes that split rows), with and without a ROI, over three
// partitions, and compares every result buffer with the direct two-pass loop.
//
// Tolerance: the data are integers 1000 + [0, 37) (60 + [0, 37) for 8-bit types), so
// |mean| ≈ 1018 and std ≈ 10.7. A 64-frame block's varsum is within a factor 65 of
// float64 precision (≈ 3e-14 relative, see kernels.StdShiftF32); each of the ≤ 5
// block folds and 2 partition merges takes δ from two means rounded by ε·|mean|
// (ε = 2⁻⁵³) and adds at most 32ε·|mean|·sqrt(varsum), i.e. 32ε·|mean|/sqrt(varsum)
// ≈ 4e-14 relative with varsum ≥ 75·10.7². Seven of them stay below 3e-13: 1e-12
// relative (and 1e-9 absolute, for the pixel near 0) leaves a margin of 3 and is 10⁴
// times tighter than the float32 input resolution. The results of the tilings must
// be identical bit for bit.
func TestStdDevAgainstDirect(t *testing.T) {
	dtypes := []array.DType{array.Uint8, array.Int8, array.Uint16, array.Int16, array.Uint32, array.Int32,
		array.Uint64, array.Int64, array.Float32, array.Float64, array.Complex64, array.Complex128}
	shapes := []struct {
		name   string
		nav    int
		sig    []int
		tiles  [][]int // forced tile shapes (nil: negotiated); all must agree bit for bit
		frames int
	}{
		{"sigboxes", 150, []int{5, 7}, [][]int{nil, {5, 2, 7}, {70, 5, 7}, {1, 1, 7}}, 150},
		{"frames", 300, []int{4, 16}, [][]int{nil, {16, 4, 16}, {3, 4, 16}}, 300},
	}
	rng := rand.New(rand.NewPCG(41, 42))
	for _, sh := range shapes {
		px := sh.sig[0] * sh.sig[1]
		noise := make([]float64, sh.frames*px)
		for i := range noise {
			noise[i] = float64(rng.IntN(37))
		}
		for _, dt := range dtypes {
			offset := 1000.0
			if dt.ItemSize() == 1 {
				offset = 60 // within int8
			}
			vals := make([]complex128, len(noise))
			for i, v := range noise {
				vals[i] = complex(offset+v, 0)
				if i%px == 3 {
					vals[i] = complex(float64(int(v)%3), 0) // one pixel near 0
				}
				if dt.Kind() == array.KindComplex {
					vals[i] += complex(0, float64(i%5)-2)
				}
			}
			arr := array.New(dt, append([]int{sh.frames}, sh.sig...)...)
			if dt.Kind() == array.KindComplex {
				if err := storeC128(arr, vals); err != nil {
					t.Fatal(err)
				}
			} else {
				re := make([]float64, len(vals))
				for i, v := range vals {
					re[i] = real(v)
				}
				if err := storeF64(arr, re); err != nil {
					t.Fatal(err)
				}
			}
			for _, roi := range [][]bool{nil, randROI(sh.frames, 43)} {
				name := fmt.Sprintf("%s/%v/roi=%v", sh.name, dt, roi != nil)
				t.Run(name, func(t *testing.T) {
					wantSum, wantVS, n := stdDirect(vals, sh.frames, px, roi)
					var first map[string][]uint64
					for _, ts := range sh.tiles {
						ds := memDS(t, arr, dataset.MemoryOptions{NumPartitions: 3, TileShape: ts})
						res := runOne(t, ds, StdDev{}, engines[1].opts, roi)
						nf, _ := f64(t, res.Get("num_frames").Data())
						if nf[0] != float64(n) {
							t.Fatalf("tiles %v: num_frames %v, want %d", ts, nf, n)
						}
						vs, _ := f64(t, res.Get("varsum").Data())
						vr, _ := f64(t, res.Get("var").Data())
						sd, _ := f64(t, res.Get("std").Data())
						wantVar, wantStd := make([]float64, px), make([]float64, px)
						for p := range px {
							wantVar[p] = wantVS[p] / float64(n)
							wantStd[p] = math.Sqrt(wantVar[p])
						}
						closeTo(t, "varsum", vs, wantVS, 1e-12, 1e-9)
						closeTo(t, "var", vr, wantVar, 1e-12, 1e-9)
						closeTo(t, "std", sd, wantStd, 1e-12, 1e-9)
						gotSum, err := toC128(res.Get("sum").Data())
						if err != nil {
							t.Fatal(err)
						}
						gotMean, err := toC128(res.Get("mean").Data())
						if err != nil {
							t.Fatal(err)
						}
						for p := range px {
							wm := wantSum[p] / complex(float64(n), 0)
							if cmplx.Abs(gotSum[p]-wantSum[p]) > 1e-12*cmplx.Abs(wantSum[p])+1e-9 || cmplx.Abs(gotMean[p]-wm) > 1e-12*cmplx.Abs(wm)+1e-9 {
								t.Fatalf("tiles %v pixel %d: sum %v mean %v, want %v %v", ts, p, gotSum[p], gotMean[p], wantSum[p], wm)
							}
						}
						bits := map[string][]uint64{}
						for _, b := range res.Buffers {
							c, err := toC128(b.RawData())
							if err != nil {
								t.Fatal(err)
							}
							for _, v := range c {
								bits[b.Name()] = append(bits[b.Name()], math.Float64bits(real(v)), math.Float64bits(imag(v)))
							}
						}
						if first == nil {
							first = bits
							continue
						}
						for k, v := range bits {
							for i := range v {
								if v[i] != first[k][i] {
									t.Fatalf("tiles %v: %s[%d] differs from the negotiated tiling's", ts, k, i)
								}
							}
						}
					}
				})
			}
		}
	}
}

// TestStdShiftRealDTypes feeds every real element type through the generic blocks
// (the path of tiles that are not float32) and compares with the direct loop
// (tolerance as in TestStdDevAgainstDirect).
func TestStdShiftRealDTypes(t *testing.T) {
	const px, frames = 13, 140
	rng := rand.New(rand.NewPCG(44, 45))
	ints := make([]int, frames*px)
	for i := range ints {
		ints[i] = 100 + rng.IntN(27)
	}
	vals := make([]complex128, len(ints))
	for i, v := range ints {
		vals[i] = complex(float64(v), 0)
	}
	wantSum, wantVS, _ := stdDirect(vals, frames, px, nil)
	check := func(name string, b *stdBox) {
		t.Helper()
		for p := range px {
			if math.Abs(b.sum[p]-real(wantSum[p])) > 1e-12*math.Abs(real(wantSum[p])) || math.Abs(b.varsum[p]-wantVS[p]) > 1e-12*wantVS[p] {
				t.Fatalf("%s pixel %d: %v %v, want %v %v", name, p, b.sum[p], b.varsum[p], real(wantSum[p]), wantVS[p])
			}
		}
	}
	depths := []int{5, 64, 1, 70}
	check("uint8", stdFeed(conv[uint8](ints), px, depths))
	check("int8", stdFeed(conv[int8](ints), px, depths))
	check("uint16", stdFeed(conv[uint16](ints), px, depths))
	check("int16", stdFeed(conv[int16](ints), px, depths))
	check("uint32", stdFeed(conv[uint32](ints), px, depths))
	check("int32", stdFeed(conv[int32](ints), px, depths))
	check("uint64", stdFeed(conv[uint64](ints), px, depths))
	check("int64", stdFeed(conv[int64](ints), px, depths))
	check("float32", stdFeed(conv[float32](ints), px, depths))
	check("float64", stdFeed(conv[float64](ints), px, depths))
}

func conv[T realNumber](v []int) []T {
	out := make([]T, len(v))
	for i, x := range v {
		out[i] = T(x)
	}
	return out
}

// TestStdDevAdversarial runs StdDev through the engine (float64 and float32 frames,
// three partitions, tiles that split blocks) on pixels that defeat naive formulas: a
// 1e6 offset with noise of 1/16 (var against the exact value), constant frames (var
// exactly 0), a NaN and a +Inf frame (sum NaN / +Inf, var NaN as in the two-pass
// formula), and a ROI of a single frame (var exactly 0, mean the frame).
func TestStdDevAdversarial(t *testing.T) {
	const frames, px = 150, 6
	rng := rand.New(rand.NewPCG(46, 47))
	vals := make([]float64, frames*px)
	noise := make([]int64, frames)
	for f := range frames {
		noise[f] = int64(rng.IntN(5)) - 2
		vals[f*px+0] = 1e6 + float64(noise[f])/16
		vals[f*px+1] = 5
		vals[f*px+2] = float64(f % 3)
		vals[f*px+3] = float64(f % 4)
		vals[f*px+4] = -7.5
		vals[f*px+5] = float64(f)
	}
	vals[7*px+2] = math.NaN()
	vals[100*px+3] = math.Inf(1)
	// exact var of pixel 0: (n·Σm² − (Σm)²)/(256·n²) with m the noise
	var s, s2 int64
	for _, m := range noise {
		s += m
		s2 += m * m
	}
	wantVar0 := float64(frames*s2-s*s) / (256 * frames * frames)
	for _, dt := range []array.DType{array.Float64, array.Float32} {
		arr := array.New(dt, frames, 2, 3)
		if err := storeF64(arr, vals); err != nil {
			t.Fatal(err)
		}
		for _, ts := range [][]int{nil, {7, 2, 3}, {50, 1, 3}} {
			ds := memDS(t, arr, dataset.MemoryOptions{NumPartitions: 3, TileShape: ts})
			res := runOne(t, ds, StdDev{}, engines[1].opts, nil)
			vr, _ := f64(t, res.Get("var").Data())
			sum, _ := f64(t, res.Get("sum").Data())
			// Bound of TestStdDevAgainstDirect: ≤ 3 block folds and 2 merges, each off
			// by at most 32ε·|mean|·sqrt(varsum) in varsum (ε = 2⁻⁵³), plus 1e-12.
			varsum0 := wantVar0 * frames
			tol := (1e-12*varsum0 + 5*32*0x1p-53*1e6*math.Sqrt(varsum0)) / frames
			if math.Abs(vr[0]-wantVar0) > tol {
				t.Errorf("%v tiles %v: var of 1e6 + noise %v, want %v ± %v", dt, ts, vr[0], wantVar0, tol)
			}
			if vr[1] != 0 || vr[4] != 0 || sum[1] != 5*frames || sum[4] != -7.5*frames {
				t.Errorf("%v tiles %v: constant pixels var %v %v sum %v %v", dt, ts, vr[1], vr[4], sum[1], sum[4])
			}
			if !math.IsNaN(vr[2]) || !math.IsNaN(sum[2]) || !math.IsNaN(vr[3]) || !math.IsInf(sum[3], 1) {
				t.Errorf("%v tiles %v: NaN pixel var %v sum %v, Inf pixel var %v sum %v", dt, ts, vr[2], sum[2], vr[3], sum[3])
			}
		}
		roi := make([]bool, frames)
		roi[42] = true
		res := runOne(t, memDS(t, arr, dataset.MemoryOptions{NumPartitions: 3}), StdDev{}, engines[1].opts, roi)
		vr, _ := f64(t, res.Get("var").Data())
		mean, _ := f64(t, res.Get("mean").Data())
		for p := range px {
			want := vals[42*px+p]
			if dt == array.Float32 {
				want = float64(float32(want))
			}
			if vr[p] != 0 || mean[p] != want {
				t.Errorf("%v single frame pixel %d: var %v mean %v, want 0 %v", dt, p, vr[p], mean[p], want)
			}
		}
	}
}
