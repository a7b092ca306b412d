package udfs

import (
	"fmt"
	"math"
	"testing"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/dataset"
	"github.com/stemflow/stemflow/udf"
)

// eachEngineAndROI runs u over arr (2 partitions, tiles (8,17,23)) on every engine,
// without a ROI and with a random one (seed roiSeed), and hands each case's dataset,
// ROI and result to check.
func eachEngineAndROI(t *testing.T, arr array.Array, frames int, roiSeed uint64, u udf.UDF, check func(t *testing.T, ds dataset.Dataset, eng runCase, roi []bool, res *udf.Result)) {
	t.Helper()
	for _, eng := range engines {
		for _, roiCase := range []struct {
			name string
			roi  []bool
		}{{"noroi", nil}, {"roi", randROI(frames, roiSeed)}} {
			t.Run(eng.name+"/"+roiCase.name, func(t *testing.T) {
				ds := memDS(t, arr, dataset.MemoryOptions{NumPartitions: 2, TileShape: []int{8, 17, 23}})
				check(t, ds, eng, roiCase.roi, runOne(t, ds, u, eng.opts, roiCase.roi))
			})
		}
	}
}

// Scenario 01: Sum over (16,8,32,64) float32 with cropped sig boxes (8,17,23), 2
// partitions; plus ROI, sync offset and uint16 variants.
func TestScenario01_Sum(t *testing.T) {
	shape := []int{16, 8, 32, 64}
	frames, px := 128, 32*64
	data := randF32(frames*px, 1)
	arr := array.Wrap(data, shape...)
	eachEngineAndROI(t, arr, frames, 3, Sum{}, func(t *testing.T, ds dataset.Dataset, eng runCase, roi []bool, res *udf.Result) {
		b := res.Get("intensity")
		if b.DType() != array.Float32 {
			t.Fatalf("dtype %v", b.DType())
		}
		got, sh := f64(t, b.Data())
		shapeIs(t, "intensity", sh, 32, 64)
		closeTo(t, "intensity", got, directSum(data, frames, px, roi), f32tol, 0)
		checkLazy(t, ds, Sum{}, eng.opts, roi, res)
	})
	t.Run("uint16", func(t *testing.T) {
		u := randU16(frames*px, 2)
		ds := memDS(t, array.Wrap(u, shape...), dataset.MemoryOptions{NumPartitions: 2, TileShape: []int{8, 17, 23}})
		res := runOne(t, ds, Sum{}, udf.Options{Workers: 2}, nil)
		b := res.Get("intensity")
		if b.DType() != array.Float32 {
			t.Fatalf("dtype %v", b.DType())
		}
		got, _ := f64(t, b.Data())
		closeTo(t, "intensity", got, directSum(u, frames, px, nil), f32tol, 0)
	})
	t.Run("dtype float64", func(t *testing.T) {
		ds := memDS(t, arr, dataset.MemoryOptions{NumPartitions: 2, TileShape: []int{8, 17, 23}})
		res := runOne(t, ds, Sum{DType: array.Float64}, udf.Options{Inline: true}, nil)
		b := res.Get("intensity")
		if b.DType() != array.Float64 {
			t.Fatalf("dtype %v", b.DType())
		}
		got, _ := f64(t, b.Data())
		closeTo(t, "intensity", got, directSum(data, frames, px, nil), 1e-13, 0)
	})
	for _, k := range []int{62, -62} {
		t.Run(fmt.Sprintf("sync%+d", k), func(t *testing.T) {
			small := randF32(64*16, 4)
			ds := memDS(t, array.Wrap(small, 8, 8, 4, 4), dataset.MemoryOptions{NumPartitions: 2, SyncOffset: k})
			res := runOne(t, ds, Sum{}, udf.Options{Workers: 2}, nil)
			got, _ := f64(t, res.Get("intensity").Data())
			// k>0: nav positions 0,1 show file frames 62,63; k<0: positions 62,63 show 0,1.
			want := make([]float64, 16)
			files := []int{62, 63}
			if k < 0 {
				files = []int{0, 1}
			}
			for _, f := range files {
				for p := range want {
					want[p] += float64(small[f*16+p])
				}
			}
			closeTo(t, "intensity", got, want, f32tol, 0)
		})
	}
}

// TestSumAccuracy4096 runs Sum over 4,096 frames: a float32 running sum would be off by
// far more than f32tol.
func TestSumAccuracy4096(t *testing.T) {
	frames, px := 4096, 64
	data := randF32(frames*px, 11)
	for i := range data {
		data[i] = 0.1 + data[i]/3 // no outliers: the bound is the accumulation
		if data[i] > 1 {
			data[i] = 0.3
		}
	}
	ds := memDS(t, array.Wrap(data, 64, 64, 8, 8), dataset.MemoryOptions{NumPartitions: 2})
	for _, eng := range engines {
		res := runOne(t, ds, Sum{}, eng.opts, nil)
		got, _ := f64(t, res.Get("intensity").Data())
		want := directSum(data, frames, px, nil)
		closeTo(t, "intensity", got, want, f32tol, 0)
		// Show that the tolerance discriminates: a float32 running sum misses it.
		naive := make([]float32, px)
		for f := 0; f < frames; f++ {
			for p := 0; p < px; p++ {
				naive[p] += data[f*px+p]
			}
		}
		bad := 0
		for p := range naive {
			if math.Abs(float64(naive[p])-want[p]) > f32tol*want[p] {
				bad++
			}
		}
		if bad == 0 {
			t.Fatal("tolerance does not discriminate a float32 running sum")
		}
	}
}

// Scenario 02: SumSig, same setup; partial sig tiles accumulate.
func TestScenario02_SumSig(t *testing.T) {
	shape := []int{16, 8, 32, 64}
	frames, px := 128, 32*64
	data := randF32(frames*px, 5)
	arr := array.Wrap(data, shape...)
	eachEngineAndROI(t, arr, frames, 6, SumSig{}, func(t *testing.T, ds dataset.Dataset, eng runCase, roi []bool, res *udf.Result) {
		b := res.Get("intensity")
		raw, sh := f64(t, b.RawData())
		shapeIs(t, "raw", sh, len(selected(frames, roi)))
		// Up to 9 box partial sums are added in float32.
		closeTo(t, "intensity", raw, directSumSig(data, frames, px, roi), 8e-7, 0)
		full, sh := f64(t, b.Data())
		shapeIs(t, "data", sh, 16, 8)
		checkLazy(t, ds, SumSig{}, eng.opts, roi, res)
		for i, ok := range roi {
			if !ok && !math.IsNaN(full[i]) {
				t.Fatalf("data[%d] = %v outside ROI, want NaN", i, full[i])
			}
		}
	})
	for _, k := range []int{62, -62} {
		t.Run(fmt.Sprintf("sync%+d", k), func(t *testing.T) {
			small := randF32(64*16, 4)
			ds := memDS(t, array.Wrap(small, 8, 8, 4, 4), dataset.MemoryOptions{NumPartitions: 2, SyncOffset: k})
			res := runOne(t, ds, SumSig{}, udf.Options{Workers: 2}, nil)
			got, _ := f64(t, res.Get("intensity").RawData())
			want := make([]float64, 64)
			for nav := range want {
				f := nav + k
				if f < 0 || f >= 64 {
					continue
				}
				for p := range 16 {
					want[nav] += float64(small[f*16+p])
				}
			}
			closeTo(t, "intensity", got, want, 1e-6, 0)
		})
	}
	t.Run("uint16 whole frames", func(t *testing.T) {
		u := randU16(frames*px, 7)
		ds := memDS(t, array.Wrap(u, shape...), dataset.MemoryOptions{NumPartitions: 2})
		res := runOne(t, ds, SumSig{}, udf.Options{Workers: 2}, nil)
		got, _ := f64(t, res.Get("intensity").RawData())
		closeTo(t, "intensity", got, directSumSig(u, frames, px, nil), 0, 0) // integers < 2^24: exact
	})
}

// Scenario 16: StdDev on (30,3,516) float32 and complex128, tileshape (3,2,257), 2
// partitions, with and without ROI.
func TestScenario16_StdDev(t *testing.T) {
	frames, px := 30, 3*516
	data := randF32(frames*px, 8)
	cdata := make([]complex128, frames*px)
	for i := range cdata {
		cdata[i] = complex(float64(data[i]), float64(data[(i*7)%len(data)])-0.5)
	}
	for _, eng := range engines {
		for _, roiCase := range []struct {
			name string
			roi  []bool
		}{{"noroi", nil}, {"roi", randROI(frames, 9)}} {
			t.Run(eng.name+"/"+roiCase.name+"/float32", func(t *testing.T) {
				ds := memDS(t, array.Wrap(data, 30, 3, 516), dataset.MemoryOptions{NumPartitions: 2, TileShape: []int{3, 2, 257}})
				res := runOne(t, ds, StdDev{}, eng.opts, roiCase.roi)
				sel := selected(frames, roiCase.roi)
				n := float64(len(sel))
				nf, _ := f64(t, res.Get("num_frames").Data())
				if nf[0] != n {
					t.Fatalf("num_frames %v, want %v", nf, n)
				}
				sum := directSum(data, frames, px, roiCase.roi)
				mean := make([]float64, px)
				vr := make([]float64, px)
				sd := make([]float64, px)
				for p := range px {
					mean[p] = sum[p] / n
					for _, f := range sel {
						d := float64(data[f*px+p]) - mean[p]
						vr[p] += d * d
					}
					vr[p] /= n
					sd[p] = math.Sqrt(vr[p])
				}
				for _, c := range []struct {
					name string
					want []float64
				}{{"sum", sum}, {"mean", mean}, {"var", vr}, {"std", sd}} {
					b := res.Get(c.name)
					if b.DType() != array.Float64 {
						t.Fatalf("%s dtype %v", c.name, b.DType())
					}
					got, sh := f64(t, b.Data())
					shapeIs(t, c.name, sh, 3, 516)
					closeTo(t, c.name, got, c.want, 1e-10, 1e-12)
				}
				checkLazy(t, ds, StdDev{}, eng.opts, roiCase.roi, res)
			})
		}
		t.Run(eng.name+"/complex128", func(t *testing.T) {
			ds := memDS(t, array.Wrap(cdata, 30, 3, 516), dataset.MemoryOptions{NumPartitions: 2, TileShape: []int{3, 2, 257}})
			res := runOne(t, ds, StdDev{}, eng.opts, nil)
			checkLazy(t, ds, StdDev{}, eng.opts, nil, res)
			if res.Get("sum").DType() != array.Complex128 || res.Get("var").DType() != array.Float64 {
				t.Fatalf("dtypes %v %v", res.Get("sum").DType(), res.Get("var").DType())
			}
			gv, _ := f64(t, res.Get("var").Data())
			gm, err := toC128(res.Get("mean").Data())
			if err != nil {
				t.Fatal(err)
			}
			for p := range px {
				var s complex128
				for f := range frames {
					s += cdata[f*px+p]
				}
				m := s / complex(float64(frames), 0)
				var v float64
				for f := range frames {
					d := cdata[f*px+p] - m
					v += real(d)*real(d) + imag(d)*imag(d)
				}
				v /= float64(frames)
				if math.Abs(gv[p]-v) > 1e-10*v+1e-12 || math.Abs(real(gm[p]-m))+math.Abs(imag(gm[p]-m)) > 1e-12 {
					t.Fatalf("px %d: var %v mean %v, want %v %v", p, gv[p], gm[p], v, m)
				}
			}
		})
	}
	t.Run("sync offset", func(t *testing.T) {
		small := randF32(64*16, 41)
		ds := memDS(t, array.Wrap(small, 8, 8, 4, 4), dataset.MemoryOptions{NumPartitions: 2, SyncOffset: 60})
		res := runOne(t, ds, StdDev{}, udf.Options{Workers: 2}, nil)
		nf, _ := f64(t, res.Get("num_frames").Data())
		if nf[0] != 4 {
			t.Fatalf("num_frames %v, want 4 (file frames 60..63)", nf)
		}
		got, _ := f64(t, res.Get("var").Data())
		want := make([]float64, 16)
		for p := range 16 {
			var m float64
			for f := 60; f < 64; f++ {
				m += float64(small[f*16+p])
			}
			m /= 4
			for f := 60; f < 64; f++ {
				d := float64(small[f*16+p]) - m
				want[p] += d * d / 4
			}
		}
		closeTo(t, "var", got, want, 1e-12, 1e-12)
	})
	t.Run("uint16 4096 frames", func(t *testing.T) {
		frames, px := 4096, 16
		u := randU16(frames*px, 10)
		ds := memDS(t, array.Wrap(u, 64, 64, 4, 4), dataset.MemoryOptions{NumPartitions: 3})
		res := runOne(t, ds, StdDev{}, udf.Options{Workers: 2}, nil)
		got, _ := f64(t, res.Get("var").Data())
		sum := directSum(u, frames, px, nil)
		want := make([]float64, px)
		for p := range px {
			m := sum[p] / float64(frames)
			for f := range frames {
				d := float64(u[f*px+p]) - m
				want[p] += d * d
			}
			want[p] /= float64(frames)
		}
		closeTo(t, "var", got, want, 1e-12, 0)
	})
}

// Scenario 17: Pick (16,16,16,16), tileshape (3,7,16), 7 partitions, random ROI with
// roi[0] true: intensity == data[roi], native dtype; empty ROI → (0,16,16).
func TestScenario17_Pick(t *testing.T) {
	frames, px := 256, 256
	data := randF32(frames*px, 12)
	roi := randROI(frames, 13)
	roi[0] = true
	for _, eng := range engines {
		t.Run(eng.name, func(t *testing.T) {
			ds := memDS(t, array.Wrap(data, 16, 16, 16, 16), dataset.MemoryOptions{NumPartitions: 7, TileShape: []int{3, 7, 16}})
			res := runOne(t, ds, Pick{}, eng.opts, roi)
			b := res.Get("intensity")
			if b.DType() != array.Float32 {
				t.Fatalf("dtype %v", b.DType())
			}
			got, sh := f64(t, b.Data())
			sel := selected(frames, roi)
			shapeIs(t, "intensity", sh, len(sel), 16, 16)
			var want []float64
			for _, f := range sel {
				for p := range px {
					want = append(want, float64(data[f*px+p]))
				}
			}
			closeTo(t, "intensity", got, want, 0, 0)
			checkLazy(t, ds, Pick{}, eng.opts, roi, res)
		})
	}
	t.Run("uint16 native", func(t *testing.T) {
		u := randU16(frames*px, 14)
		ds := memDS(t, array.Wrap(u, 16, 16, 16, 16), dataset.MemoryOptions{NumPartitions: 7, TileShape: []int{3, 7, 16}})
		res := runOne(t, ds, Pick{}, udf.Options{Workers: 2}, roi)
		if res.Get("intensity").DType() != array.Uint16 {
			t.Fatalf("dtype %v, want uint16", res.Get("intensity").DType())
		}
	})
	t.Run("empty roi", func(t *testing.T) {
		ds := memDS(t, array.Wrap(data, 16, 16, 16, 16), dataset.MemoryOptions{NumPartitions: 7, TileShape: []int{3, 7, 16}})
		res := runOne(t, ds, Pick{}, udf.Options{Inline: true}, make([]bool, frames))
		shapeIs(t, "intensity", res.Get("intensity").Data().Shape(), 0, 16, 16)
	})
}

// Scenario 18: Logsum (16,8,32,64), tileshape (8,32,64).
func TestScenario18_Logsum(t *testing.T) {
	frames, px := 128, 32*64
	data := randF32(frames*px, 15)
	want := make([]float64, px)
	for f := range frames {
		fr := data[f*px : (f+1)*px]
		mn := math.Inf(1)
		for _, v := range fr {
			mn = math.Min(mn, float64(v))
		}
		for p, v := range fr {
			want[p] += math.Log(float64(v) - mn + 1)
		}
	}
	for _, eng := range engines {
		t.Run(eng.name, func(t *testing.T) {
			ds := memDS(t, array.Wrap(data, 16, 8, 32, 64), dataset.MemoryOptions{NumPartitions: 2, TileShape: []int{8, 32, 64}})
			res := runOne(t, ds, Logsum{}, eng.opts, nil)
			b := res.Get("logsum")
			if b.DType() != array.Float32 {
				t.Fatalf("dtype %v", b.DType())
			}
			got, sh := f64(t, b.Data())
			shapeIs(t, "logsum", sh, 32, 64)
			closeTo(t, "logsum", got, want, f32tol, 0)
			checkLazy(t, ds, Logsum{}, eng.opts, nil, res)
		})
	}
}

// Scenario 20: SumSig and Sum in one pass, one partition, base shape (1,62,16) and
// forced decoding on (32,124,128).
func TestScenario20_MultipleUDFs(t *testing.T) {
	frames, px := 32, 124*128
	data := randF32(frames*px, 16)
	ds := memDS(t, array.Wrap(data, 32, 124, 128), dataset.MemoryOptions{NumPartitions: 1, BaseShape: []int{1, 62, 16}, ForceNeedDecode: true})
	for _, eng := range engines {
		t.Run(eng.name, func(t *testing.T) {
			rs, err := udf.Run(t.Context(), ds, []udf.UDF{SumSig{}, Sum{}}, eng.opts)
			if err != nil {
				t.Fatal(err)
			}
			ss, _ := f64(t, rs[0].Get("intensity").RawData())
			closeTo(t, "sumsig", ss, directSumSig(data, frames, px, nil), 2e-6, 0)
			s, _ := f64(t, rs[1].Get("intensity").Data())
			closeTo(t, "sum", s, directSum(data, frames, px, nil), f32tol, 0)
		})
	}
}

// comDelta returns a float32 dataset (ny,nx,sy,sx) of zeros with one 1 per frame at
// pos(y, x).
func comDelta(ny, nx, sy, sx int, pos func(y, x int) (int, int)) *array.Dense[float32] {
	a := array.Zeros[float32](ny, nx, sy, sx)
	d := a.Data()
	for y := range ny {
		for x := range nx {
			py, px := pos(y, x)
			d[((y*nx+x)*sy+py)*sx+px] = 1
		}
	}
	return a
}

func regressionOf(t *testing.T, res *udf.Result) [3][2]float64 {
	t.Helper()
	v, sh := f64(t, res.Get("regression").Data())
	shapeIs(t, "regression", sh, 3, 2)
	return [3][2]float64{{v[0], v[1]}, {v[2], v[3]}, {v[4], v[5]}}
}

func regClose(t *testing.T, got, want [3][2]float64, tol float64) {
	t.Helper()
	for i := range 3 {
		for j := range 2 {
			if math.Abs(got[i][j]-want[i][j]) > tol {
				t.Fatalf("regression %v, want %v", got, want)
			}
		}
	}
}

// Scenario 24: CoM regression.
func TestScenario24_CoMRegression(t *testing.T) {
	ctx := t.Context()
	t.Run("delta at centre", func(t *testing.T) {
		a := comDelta(23, 42, 23, 42, func(int, int) (int, int) { return 3, 3 })
		ds := memDS(t, a, dataset.MemoryOptions{NumPartitions: 17})
		for _, reg := range []Regression{RegressionNone, RegressionMean, RegressionLinear, RegressionMatrix([3][2]float64{})} {
			c, err := NewCoM(WithCenter(3, 3), WithRegression(reg))
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for snap, err := range udf.RunIter(ctx, ds, []udf.UDF{c}, udf.Options{Workers: 2}) {
				if err != nil {
					t.Fatal(err)
				}
				rs, err := snap.Results()
				if err != nil {
					t.Fatal(err)
				}
				regClose(t, regressionOf(t, rs[0]), [3][2]float64{}, 1e-13)
				f, _ := f64(t, rs[0].Get("field").RawData())
				closeTo(t, "field", f, make([]float64, len(f)), 0, 1e-13)
				n++
			}
			if n == 0 {
				t.Fatal("no snapshots")
			}
		}
	})
	t.Run("delta at (1,4)", func(t *testing.T) {
		a := comDelta(23, 42, 23, 42, func(int, int) (int, int) { return 1, 4 })
		ds := memDS(t, a, dataset.MemoryOptions{NumPartitions: 17})
		want := [3][2]float64{{-2, 1}, {0, 0}, {0, 0}}
		for _, reg := range []Regression{RegressionMean, RegressionLinear, RegressionMatrix(want)} {
			c, _ := NewCoM(WithCenter(3, 3), WithRegression(reg))
			res := runOne(t, ds, c, udf.Options{Workers: 2}, nil)
			regClose(t, regressionOf(t, res), want, 1e-10)
			f, _ := f64(t, res.Get("field").RawData())
			closeTo(t, "field", f, make([]float64, len(f)), 0, 1e-6)
			rs, _ := f64(t, res.Get("raw_shifts").RawData())
			for i := 0; i < len(rs); i += 2 {
				if rs[i] != -2 || rs[i+1] != 1 {
					t.Fatalf("raw_shifts %v", rs[i:i+2])
				}
			}
		}
	})
	t.Run("linear", func(t *testing.T) {
		a := comDelta(23, 42, 48, 46, func(y, x int) (int, int) { return 2*y + 1, 45 - x })
		ds := memDS(t, a, dataset.MemoryOptions{NumPartitions: 7})
		c, _ := NewCoM(WithCenter(3, 3), WithRegression(RegressionLinear))
		var last *udf.Result
		for snap, err := range udf.RunIter(ctx, ds, []udf.UDF{c}, udf.Options{Inline: true}) {
			if err != nil {
				t.Fatal(err)
			}
			rs, err := snap.Results()
			if err != nil {
				t.Fatal(err)
			}
			f, _ := f64(t, rs[0].Get("field").RawData())
			dmg := snap.DamageFull()
			for i, ok := range dmg {
				if ok && (math.Abs(f[2*i]) > 1e-4 || math.Abs(f[2*i+1]) > 1e-4) {
					t.Fatalf("field at damaged %d = %v", i, f[2*i:2*i+2])
				}
			}
			last = rs[0]
		}
		regClose(t, regressionOf(t, last), [3][2]float64{{-2, 42}, {2, 0}, {0, -1}}, 1e-9)
	})
	t.Run("linear with roi", func(t *testing.T) {
		a := comDelta(5, 8, 64, 64, func(y, x int) (int, int) { return 1 + 2*y + 3*x, 4 + y + 4*x })
		ds := memDS(t, a, dataset.MemoryOptions{NumPartitions: 3})
		roi := make([]bool, 40)
		for i := range roi {
			roi[i] = true
		}
		for _, i := range []int{2*8 + 3, 2*8 + 4, 3*8 + 3, 3*8 + 4} {
			roi[i] = false
		}
		c, _ := NewCoM(WithCenter(3, 3), WithRegression(RegressionLinear))
		res := runOne(t, ds, c, udf.Options{Workers: 2}, roi)
		regClose(t, regressionOf(t, res), [3][2]float64{{-2, 1}, {2, 1}, {3, 4}}, 1e-9)
		fy, sh := f64(t, res.Get("field_y").Data())
		shapeIs(t, "field_y", sh, 5, 8)
		for i, ok := range roi {
			if ok != !math.IsNaN(fy[i]) {
				t.Fatalf("field_y[%d] = %v with roi %v", i, fy[i], ok)
			}
		}
	})
	t.Run("invalid", func(t *testing.T) {
		if _, err := NewCoM(WithRing(3, 3)); err == nil {
			t.Fatal("ri >= r accepted")
		}
		if _, err := RegressionOrder(5); err == nil {
			t.Fatal("regression 5 accepted")
		}
		c, _ := NewCoM()
		for _, shape := range [][]int{{8, 4, 4}, {2, 2, 2, 4, 4}, {4, 4, 2, 4, 4}} {
			size := 1
			for _, s := range shape {
				size *= s
			}
			sigDims := 2
			if len(shape) == 5 && shape[0] == 4 {
				sigDims = 3
			}
			ds := memDS(t, array.Wrap(make([]float32, size), shape...), dataset.MemoryOptions{NumPartitions: 1, SigDims: sigDims})
			if _, err := udf.RunOne(ctx, ds, c, udf.Options{Inline: true}); err == nil {
				t.Fatalf("shape %v accepted", shape)
			}
		}
	})
}
