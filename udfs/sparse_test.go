package udfs

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/backends"
	"github.com/stemflow/stemflow/dataset"
	"github.com/stemflow/stemflow/udf"
)

// sparseData returns n values, about 80 % zeros, the rest small positive integers
// (and, with neg, a few negative values), as float64.
func sparseData(n int, seed uint64, neg bool) []float64 {
	r := rand.New(rand.NewPCG(seed, 3))
	v := make([]float64, n)
	for i := range v {
		if r.IntN(5) == 0 {
			v[i] = float64(1 + r.IntN(20))
			if neg && r.IntN(10) == 0 {
				v[i] = -v[i]
			}
		}
	}
	return v
}

func typed[T realNumber](v []float64) []T {
	out := make([]T, len(v))
	for i, x := range v {
		out[i] = T(x)
	}
	return out
}

// sparseMaskFactories returns two masks as CSR factories and the same as dense ones.
func sparseMaskFactories(t testing.TB) (sparse, dense []MaskFactory) {
	for _, f := range []MaskFactory{DiskMask(3, 4, 2.5), RingMask(4, 6, 4, 1.5), PointMask(7, 9)} {
		dense = append(dense, f)
		f := f
		sparse = append(sparse, func(sig []int) (array.Array, error) {
			m, err := f(sig)
			if err != nil {
				return nil, err
			}
			return array.CSRFromDense[float32, int32](m.(*array.Dense[float32]))
		})
	}
	return sparse, dense
}

// TestSparseTilesVsDense runs every built-in that accepts sparse tiles (plus StdDev,
// which gets dense tiles through the plan) over a memory dataset handing out CSR or
// CSC tiles and over the same dense data; all result buffers agree.
func TestSparseTilesVsDense(t *testing.T) {
	nav, sig := []int{5, 7}, []int{8, 10}
	frames, px := 35, 80
	sm, dm := sparseMaskFactories(t)
	mk := func(frameUDFs bool) []udf.UDF {
		us := []udf.UDF{
			Sum{}, SumSig{}, Pick{}, StdDev{},
			&ApplyMasks{Factories: dm},
			&ApplyMasks{Factories: sm},
			&ApplyMasks{Stack: func(sig []int) (array.Array, error) {
				var v []float32
				for _, f := range dm {
					m, err := f(sig)
					if err != nil {
						return nil, err
					}
					v = append(v, m.(*array.Dense[float32]).Data()...)
				}
				return array.CSRFromDense[float32, int32](array.Wrap(v, len(dm), px))
			}},
			&ApplyMasks{Factories: []MaskFactory{sm[0], dm[1]}},                // mixed: dense path
			&ApplyMasks{Factories: sm, MaskDType: array.Float64, MaskCount: 3}, // float64 product
		}
		if frameUDFs {
			us = append(us, Logsum{}, &ApplyMasks{Factories: sm, Shift: &[2]int{1, -2}})
		}
		return us
	}
	dtypes := []struct {
		name string
		arr  func(v []float64) array.Array
	}{
		{"float32", func(v []float64) array.Array { return array.Wrap(typed[float32](v), 5, 7, 8, 10) }},
		{"uint16", func(v []float64) array.Array { return array.Wrap(typed[uint16](v), 5, 7, 8, 10) }},
		{"int32", func(v []float64) array.Array { return array.Wrap(typed[int32](v), 5, 7, 8, 10) }},
	}
	roi := randROI(frames, 4)
	for _, dt := range dtypes {
		v := sparseData(frames*px, 8, dt.name != "uint16")
		for _, f := range []array.Format{array.FormatCSR, array.FormatCSC} {
			for _, tiled := range []bool{false, true} {
				for _, withROI := range []bool{false, true} {
					name := fmt.Sprintf("%s/%v/tiled=%v/roi=%v", dt.name, f, tiled, withROI)
					t.Run(name, func(t *testing.T) {
						opts := dataset.MemoryOptions{NumPartitions: 3}
						if tiled {
							opts.TileShape = []int{3, 4, 5}
						}
						dense := memDS(t, dt.arr(v), opts)
						opts.ArrayFormats = []array.Format{f}
						sparse := memDS(t, dt.arr(v), opts)
						ro := udf.Options{Workers: 2}
						if withROI {
							ro.ROI = array.Wrap(append([]bool(nil), roi...), nav...)
						}
						want, err := udf.Run(context.Background(), dense, mk(!tiled), ro)
						if err != nil {
							t.Fatal(err)
						}
						got, err := udf.Run(context.Background(), sparse, mk(!tiled), ro)
						if err != nil {
							t.Fatal(err)
						}
						for i := range want {
							for _, bn := range want[i].Names() {
								w, _ := f64(t, want[i].Get(bn).RawData())
								g, _ := f64(t, got[i].Get(bn).RawData())
								closeTo(t, fmt.Sprintf("udf %d (%T) %s", i, mk(!tiled)[i], bn), g, w, 1e-6, 1e-9)
							}
						}
					})
				}
			}
		}
	}
	_ = sig
}

// TestSparseMasksVsDenseMasks compares ApplyMasks with sparse masks against the same
// masks dense, over dense tiles and over CSR tiles, with direct dot products as the
// reference for the dense-tile case.
func TestSparseMasksVsDenseMasks(t *testing.T) {
	frames, sy, sx := 24, 8, 10
	px := sy * sx
	v := typed[float32](sparseData(frames*px, 21, true))
	sm, dm := sparseMaskFactories(t)
	sig := []int{sy, sx}
	// direct dot products
	var want []float64
	for f := 0; f < frames; f++ {
		for _, mf := range dm {
			m, _ := mf(sig)
			md := m.(*array.Dense[float32]).Data()
			s := 0.0
			for p := 0; p < px; p++ {
				s += float64(v[f*px+p]) * float64(md[p])
			}
			want = append(want, s)
		}
	}
	for _, formats := range [][]array.Format{nil, {array.FormatCSR}} {
		for _, ts := range [][]int{nil, {5, 3, 4}} {
			ds := memDS(t, array.Wrap(v, 4, 6, sy, sx), dataset.MemoryOptions{NumPartitions: 2, ArrayFormats: formats, TileShape: ts})
			for name, fs := range map[string][]MaskFactory{"sparse": sm, "dense": dm} {
				res := runOne(t, ds, &ApplyMasks{Factories: fs}, udf.Options{Workers: 2}, nil)
				g, _ := f64(t, res.Get("intensity").RawData())
				closeTo(t, fmt.Sprintf("%s masks, formats %v, tileshape %v", name, formats, ts), g, want, 1e-5, 1e-5)
			}
		}
	}
}

// TestApplyMasksBackends checks the plan's choice: CSR tiles from a raw-CSR-like
// dataset without shifts, dense frames with shifts.
func TestApplyMasksBackends(t *testing.T) {
	sm, _ := sparseMaskFactories(t)
	if b := (&ApplyMasks{Factories: sm}).Backends(); b[0] != backends.CSR {
		t.Errorf("no shifts: backends %v, want CSR first", b)
	}
	if b := (&ApplyMasks{Factories: sm, Shift: &[2]int{1, 1}}).Backends(); len(b) != 1 || b[0] != backends.Dense {
		t.Errorf("shifts: backends %v, want dense only", b)
	}
	p, err := backends.NewPlan([][]backends.Backend{(&ApplyMasks{}).Backends(), Sum{}.Backends(), nil}, []backends.Backend{backends.CSR}, backends.DeviceCPU, nil)
	if err != nil {
		t.Fatal(err)
	}
	if p.ByUDF[0] != backends.CSR || p.ByUDF[1] != backends.CSR || p.ByUDF[2] != backends.Dense {
		t.Errorf("plan %v, want CSR, CSR, dense", p)
	}
}

// TestSparseSumSigKernel checks the SumSig CSR path on a hand-built tile.
func TestSparseSumSigKernel(t *testing.T) {
	// 3 frames × 4 pixels: rows {1@0, 2@3}, {}, {-4@2}
	m, err := array.NewCSR[float32, int32](3, 4, []int32{0, 2, 2, 3}, []int32{0, 3, 2}, []float32{1, 2, -4})
	if err != nil {
		t.Fatal(err)
	}
	out := array.Zeros[float32](3)
	out.Data()[1] = 10 // += semantics
	if err := sumSigCSR(out, m); err != nil {
		t.Fatal(err)
	}
	want := []float32{3, 10, -4}
	for i, w := range want {
		if out.Data()[i] != w {
			t.Fatalf("sumsig[%d] = %v, want %v", i, out.Data()[i], w)
		}
	}
}
