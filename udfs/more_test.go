package udfs

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/cmplx"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/backends/blas"
	"github.com/stemflow/stemflow/dataset"
	"github.com/stemflow/stemflow/udf"
)

// directMasks returns, per selected frame, the dot product with each mask, with the
// masks moved by shift(f) = (dy, dx): mask'(y, x) = mask(y−dy, x−dx), 0 outside.
func directMasks[T realNumber](data []T, frames, sy, sx int, masks [][]float64, roi []bool, shift func(f int) (int, int)) []float64 {
	var out []float64
	for _, f := range selected(frames, roi) {
		dy, dx := 0, 0
		if shift != nil {
			dy, dx = shift(f)
		}
		for _, m := range masks {
			var s float64
			for y := range sy {
				for x := range sx {
					my, mx := y-dy, x-dx
					if my < 0 || my >= sy || mx < 0 || mx >= sx {
						continue
					}
					s += float64(data[(f*sy+y)*sx+x]) * m[my*sx+mx]
				}
			}
			out = append(out, s)
		}
	}
	return out
}

func randMasks(n, px int, seed uint64) ([][]float64, []MaskFactory) {
	v := randF32(n*px, seed)
	var ms [][]float64
	var fs []MaskFactory
	for k := range n {
		m := make([]float64, px)
		m32 := make([]float32, px)
		for i := range px {
			m32[i] = float32(math.Min(float64(v[k*px+i]), 1))
			m[i] = float64(m32[i])
		}
		ms = append(ms, m)
		fs = append(fs, ArrayMask(array.Wrap(m32, px)))
	}
	return ms, fs
}

func TestApplyMasks(t *testing.T) {
	t.Logf("BLAS: %s", blas.Name())
	cases := []struct {
		name  string
		shape []int
		tile  []int
		parts int
		n     int
	}{
		{"whole frames", []int{16, 8, 32, 64}, []int{8, 32, 64}, 2, 1},
		{"sig tiled", []int{8, 16, 64, 64}, []int{8, 32, 64}, 7, 2},
		{"cropped boxes 16 masks", []int{4, 8, 24, 20}, []int{5, 7, 9}, 3, 16},
		{"40 masks (BLAS)", []int{4, 8, 16, 12}, []int{5, 16, 12}, 3, 40},
	}
	for _, tc := range cases {
		frames := tc.shape[0] * tc.shape[1]
		sy, sx := tc.shape[2], tc.shape[3]
		data := randF32(frames*sy*sx, 20)
		ms, fs := randMasks(tc.n, sy*sx, 21)
		for _, eng := range engines {
			for _, roi := range [][]bool{nil, randROI(frames, 22)} {
				t.Run(tc.name+"/"+eng.name, func(t *testing.T) {
					ds := memDS(t, array.Wrap(data, tc.shape...), dataset.MemoryOptions{NumPartitions: tc.parts, TileShape: tc.tile})
					res := runOne(t, ds, &ApplyMasks{Factories: fs}, eng.opts, roi)
					b := res.Get("intensity")
					if b.DType() != array.Float32 {
						t.Fatalf("dtype %v", b.DType())
					}
					got, sh := f64(t, b.RawData())
					shapeIs(t, "raw", sh, len(selected(frames, roi)), tc.n)
					closeTo(t, "intensity", got, directMasks(data, frames, sy, sx, ms, roi, nil), 2e-5, 1e-3)
					shapeIs(t, "data", b.Data().Shape(), tc.shape[0], tc.shape[1], tc.n)
				})
			}
		}
	}
	t.Run("scenario 22 masks", func(t *testing.T) {
		// One mask: pixel (−1, −1) = 1.3; two masks: whole frame ×1 and rows 0–2 ×1.7.
		sy, sx := 32, 64
		data := randF32(128*sy*sx, 23)
		m1 := make([]float32, sy*sx)
		m1[sy*sx-1] = 1.3
		all := make([]float32, sy*sx)
		rows := make([]float32, sy*sx)
		for i := range all {
			all[i] = 1
			if i < 3*sx {
				rows[i] = 1.7
			}
		}
		stack := append(append([]float32{}, all...), rows...)
		ds := memDS(t, array.Wrap(data, 16, 8, sy, sx), dataset.MemoryOptions{NumPartitions: 2, TileShape: []int{8, 32, 64}})
		res := runOne(t, ds, &ApplyMasks{Factories: []MaskFactory{ArrayMask(array.Wrap(m1, sy, sx))}}, udf.Options{Workers: 2}, nil)
		got, _ := f64(t, res.Get("intensity").RawData())
		want := make([]float64, 128)
		for f := range want {
			want[f] = float64(data[(f+1)*sy*sx-1]) * float64(float32(1.3))
		}
		closeTo(t, "single pixel", got, want, 1e-6, 0)
		res = runOne(t, ds, &ApplyMasks{Stack: func([]int) (array.Array, error) { return array.Wrap(stack, 2, sy, sx), nil }}, udf.Options{Inline: true}, nil)
		got, sh := f64(t, res.Get("intensity").RawData())
		shapeIs(t, "two masks", sh, 128, 2)
		ms := [][]float64{make([]float64, sy*sx), make([]float64, sy*sx)}
		for i := range all {
			ms[0][i], ms[1][i] = float64(all[i]), float64(rows[i])
		}
		closeTo(t, "two masks", got, directMasks(data, 128, sy, sx, ms, nil, nil), 2e-5, 1e-3)
	})
	t.Run("bool and float64 masks, uint16 input", func(t *testing.T) {
		sy, sx := 16, 16
		u := randU16(64*sy*sx, 24)
		b := make([]bool, sy*sx)
		bm := make([]float64, sy*sx)
		for i := range b {
			b[i] = i%3 == 0
			if b[i] {
				bm[i] = 1
			}
		}
		ds := memDS(t, array.Wrap(u, 8, 8, sy, sx), dataset.MemoryOptions{NumPartitions: 2})
		res := runOne(t, ds, &ApplyMasks{Factories: []MaskFactory{ArrayMask(array.Wrap(b, sy, sx))}}, udf.Options{Workers: 2}, nil)
		if res.Get("intensity").DType() != array.Float32 {
			t.Fatalf("bool mask dtype %v", res.Get("intensity").DType())
		}
		got, _ := f64(t, res.Get("intensity").RawData())
		closeTo(t, "bool", got, directMasks(u, 64, sy, sx, [][]float64{bm}, nil, nil), 0, 0) // integer sums < 2^24
		f64m := make([]float64, sy*sx)
		for i := range f64m {
			f64m[i] = 0.25 + float64(i%7)/3
		}
		res = runOne(t, ds, &ApplyMasks{Factories: []MaskFactory{ArrayMask(array.Wrap(f64m, sy, sx))}}, udf.Options{Inline: true}, nil)
		if res.Get("intensity").DType() != array.Float64 {
			t.Fatalf("float64 mask dtype %v", res.Get("intensity").DType())
		}
		got, _ = f64(t, res.Get("intensity").RawData())
		closeTo(t, "float64", got, directMasks(u, 64, sy, sx, [][]float64{f64m}, nil, nil), 1e-12, 0)
	})
	t.Run("shifts", func(t *testing.T) {
		sy, sx := 12, 10
		frames := 24
		data := randF32(frames*sy*sx, 25)
		ms, fs := randMasks(3, sy*sx, 26)
		ds := memDS(t, array.Wrap(data, 4, 6, sy, sx), dataset.MemoryOptions{NumPartitions: 3})
		for _, sh := range [][2]int{{2, -3}, {-1, 4}, {0, 0}, {20, 0}, {0, 20}, {-20, -30}, {3, -10}} {
			res := runOne(t, ds, &ApplyMasks{Factories: fs, Shift: &sh}, udf.Options{Workers: 2}, nil)
			got, _ := f64(t, res.Get("intensity").RawData())
			want := directMasks(data, frames, sy, sx, ms, nil, func(int) (int, int) { return sh[0], sh[1] })
			closeTo(t, "const shift", got, want, 1e-6, 1e-6)
		}
		per := make([]int64, 2*frames)
		for f := range frames {
			per[2*f], per[2*f+1] = int64(f%5-2), int64(3-f%7)
		}
		aux, err := udf.NewAuxData("shifts", array.Wrap(per, 4, 6, 2), 2)
		if err != nil {
			t.Fatal(err)
		}
		roi := randROI(frames, 27)
		res := runOne(t, ds, &ApplyMasks{Factories: fs, Shifts: aux}, udf.Options{Workers: 2}, roi)
		got, _ := f64(t, res.Get("intensity").RawData())
		want := directMasks(data, frames, sy, sx, ms, roi, func(f int) (int, int) { return int(per[2*f]), int(per[2*f+1]) })
		closeTo(t, "aux shifts", got, want, 1e-6, 1e-6)
	})
}

// TestApplyMasksPureGo re-runs TestApplyMasks in a child process with the native BLAS
// disabled, so both product paths are tested.
func TestApplyMasksPureGo(t *testing.T) {
	if os.Getenv("STEMFLOW_BLAS") == "off" {
		if blas.Available() {
			t.Fatal("STEMFLOW_BLAS=off but a native BLAS is loaded")
		}
		return
	}
	if testing.Short() {
		t.Skip("short")
	}
	cmd := exec.Command(os.Args[0], "-test.run", "^TestApplyMasks", "-test.v")
	cmd.Env = append(os.Environ(), "STEMFLOW_BLAS=off")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("pure-Go run failed: %v\n%s", err, out)
	}
}

func TestFEMAndCrystallinityUDFs(t *testing.T) {
	sy, sx := 8, 6
	frames := 12
	data := randF32(frames*sy*sx, 30)
	ds := memDS(t, array.Wrap(data, 3, 4, sy, sx), dataset.MemoryOptions{NumPartitions: 2})
	roi := randROI(frames, 31)
	res := runOne(t, ds, FEM{Center: [2]float64{3, 2}, RadIn: 1, RadOut: 3}, udf.Options{Workers: 2}, roi)
	got, _ := f64(t, res.Get("intensity").RawData())
	var want []float64
	for _, f := range selected(frames, roi) {
		var vals []float64
		for y := range sy {
			for x := range sx {
				d2 := float64((y-3)*(y-3) + (x-2)*(x-2))
				if d2 > 1 && d2 <= 9 {
					vals = append(vals, float64(data[(f*sy+y)*sx+x]))
				}
			}
		}
		var m, v float64
		for _, x := range vals {
			m += x
		}
		m /= float64(len(vals))
		for _, x := range vals {
			v += (x - m) * (x - m)
		}
		want = append(want, math.Sqrt(v/float64(len(vals))))
	}
	closeTo(t, "fem", got, want, 1e-6, 0)

	rc := [2]float64{4, 2}
	res = runOne(t, ds, Crystallinity{RadIn: 0.5, RadOut: 2.5, RealCenter: &rc, RealRad: 1}, udf.Options{Inline: true}, nil)
	got, _ = f64(t, res.Get("intensity").RawData())
	want = want[:0]
	for f := range frames {
		var total float64
		for ky := range sy {
			for kx := 0; kx < sx/2+1; kx++ {
				var c complex128
				for y := range sy {
					for x := range sx {
						if float64((y-4)*(y-4)+(x-2)*(x-2)) <= 1 {
							continue // real-space disk masked out
						}
						v := float64(data[(f*sy+y)*sx+x])
						ang := -2 * math.Pi * (float64(ky*y)/float64(sy) + float64(kx*x)/float64(sx))
						c += complex(v*math.Cos(ang), v*math.Sin(ang))
					}
				}
				oy := ((ky-sy/2)%sy + sy) % sy
				ox := ((kx-sx/2)%sx + sx) % sx
				dy, dx := float64(oy)-float64(sy)/2, float64(ox)-float64(sx)/2
				if d2 := dy*dy + dx*dx; d2 > 0.25 && d2 <= 6.25 {
					total += cmplx.Abs(c)
				}
			}
		}
		want = append(want, total)
	}
	closeTo(t, "crystallinity", got, want, 1e-6, 0)
}

func TestRecord(t *testing.T) {
	dir := t.TempDir()
	frames, sy, sx := 30, 3, 7
	u := randU16(frames*sy*sx, 40)
	for _, eng := range engines {
		for _, tile := range [][]int{nil, {3, 2, 2}} {
			path := filepath.Join(dir, eng.name+".npy")
			ds := memDS(t, array.Wrap(u, 5, 6, sy, sx), dataset.MemoryOptions{NumPartitions: 2, TileShape: tile})
			runOne(t, ds, NewRecord(path), eng.opts, nil)
			a, err := array.ReadNPYFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if a.DType() != array.Uint16 {
				t.Fatalf("dtype %v", a.DType())
			}
			shapeIs(t, "record", a.Shape(), 5, 6, sy, sx)
			got, _ := f64(t, a)
			want := make([]float64, len(u))
			for i, v := range u {
				want[i] = float64(v)
			}
			closeTo(t, "record", got, want, 0, 0)
			left, _ := filepath.Glob(filepath.Join(dir, "*.tmp-*"))
			if len(left) != 0 {
				t.Fatalf("temporary files left: %v", left)
			}
		}
	}
	ds := memDS(t, array.Wrap(u, 5, 6, sy, sx), dataset.MemoryOptions{NumPartitions: 2})
	path := filepath.Join(dir, "roi.npy")
	_, err := udf.RunOne(context.Background(), ds, NewRecord(path), udf.Options{ROI: array.Wrap(randROI(30, 1), 30)})
	if !errors.Is(err, ErrRecordROI) {
		t.Fatalf("ROI run: %v, want ErrRecordROI", err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("file written despite the error: %v", err)
	}
}

func TestNoOp(t *testing.T) {
	ds := memDS(t, array.Wrap(randU16(64*16, 1), 8, 8, 4, 4), dataset.MemoryOptions{NumPartitions: 2})
	res := runOne(t, ds, NoOp{}, udf.Options{Workers: 2}, nil)
	if len(res.Buffers) != 0 {
		t.Fatalf("NoOp returned %v", res.Names())
	}
	if (NoOp{}).PreferredInputDType() != udf.NativeDType || (NoOp{InputDType: array.Float32}).PreferredInputDType() != array.Float32 {
		t.Fatal("preferred dtype")
	}
}

// TestCoMMoments checks raw_com and raw_shifts against a direct float64 computation on
// random data, for whole frames and cropped signal boxes, disk and ring selections,
// float32 and uint16 input.
func TestCoMMoments(t *testing.T) {
	ny, nx, sy, sx := 4, 5, 13, 11
	frames := ny * nx
	f32 := randF32(frames*sy*sx, 50)
	u16 := randU16(frames*sy*sx, 51)
	for _, tile := range [][]int{nil, {3, 5, 7}, {4, 13, 11}} {
		for _, sel := range []struct {
			name   string
			r, ri  float64
			cy, cx float64
		}{{"full", math.Inf(1), 0, 6, 5}, {"disk", 4.5, 0, 5.5, 4}, {"ring", 5, 2, 7, 6}} {
			for _, input := range []string{"f32", "u16"} {
				t.Run(fmt.Sprintf("%v/%s/%s", tile, sel.name, input), func(t *testing.T) {
					var arr array.Array
					val := func(i int) float64 { return float64(f32[i]) }
					if input == "f32" {
						arr = array.Wrap(f32, ny, nx, sy, sx)
					} else {
						arr = array.Wrap(u16, ny, nx, sy, sx)
						val = func(i int) float64 { return float64(u16[i]) }
					}
					ds := memDS(t, arr, dataset.MemoryOptions{NumPartitions: 3, TileShape: tile})
					c, err := NewCoM(WithCenter(sel.cy, sel.cx), WithRing(sel.ri, sel.r))
					if err != nil {
						t.Fatal(err)
					}
					res := runOne(t, ds, c, udf.Options{Workers: 2}, nil)
					got, sh := f64(t, res.Get("raw_com").RawData())
					shapeIs(t, "raw_com", sh, frames, 2)
					shifts, _ := f64(t, res.Get("raw_shifts").RawData())
					want := make([]float64, 0, 2*frames)
					wantS := make([]float64, 0, 2*frames)
					for f := range frames {
						var s, syw, sxw float64
						for y := range sy {
							for x := range sx {
								d2 := (float64(y)-sel.cy)*(float64(y)-sel.cy) + (float64(x)-sel.cx)*(float64(x)-sel.cx)
								if d2 > sel.r*sel.r || (sel.ri != 0 && d2 <= sel.ri*sel.ri) {
									continue
								}
								v := val((f*sy+y)*sx + x)
								s += v
								syw += float64(y) * v
								sxw += float64(x) * v
							}
						}
						want = append(want, syw/s, sxw/s)
						wantS = append(wantS, syw/s-sel.cy, sxw/s-sel.cx)
					}
					closeTo(t, "raw_com", got, want, 2e-6, 1e-5)
					closeTo(t, "raw_shifts", shifts, wantS, 0, 2e-5)
				})
			}
		}
	}
}

// TestCoMWholeBox covers the unweighted bounding-box kernels (a selection that
// covers whole box rows 8 wide or more) next to the weighted ones: moments against
// a direct float64 loop, and the same bits whatever the partitioning and worker
// count (the selection plan is shared between tasks).
func TestCoMWholeBox(t *testing.T) {
	ny, nx, sy, sx := 3, 4, 17, 24
	frames := ny * nx
	f32 := randF32(frames*sy*sx, 60)
	u16 := randU16(frames*sy*sx, 61)
	for _, tile := range [][]int{nil, {2, 17, 24}, {3, 8, 24}, {1, 5, 16}} {
		for _, sel := range []struct {
			name  string
			r, ri float64
		}{{"full", math.Inf(1), 0}, {"disk", 30, 0}, {"small-disk", 6, 0}, {"ring", 20, 3}} {
			for _, input := range []string{"f32", "u16"} {
				t.Run(fmt.Sprintf("%v/%s/%s", tile, sel.name, input), func(t *testing.T) {
					arr := array.Array(array.Wrap(f32, ny, nx, sy, sx))
					val := func(i int) float64 { return float64(f32[i]) }
					if input == "u16" {
						arr = array.Wrap(u16, ny, nx, sy, sx)
						val = func(i int) float64 { return float64(u16[i]) }
					}
					cy, cx := 8.0, 12.0
					var first []uint32
					for _, parts := range []int{1, 5} {
						ds := memDS(t, arr, dataset.MemoryOptions{NumPartitions: parts, TileShape: tile})
						c, err := NewCoM(WithCenter(cy, cx), WithRing(sel.ri, sel.r))
						if err != nil {
							t.Fatal(err)
						}
						res := runOne(t, ds, c, udf.Options{Workers: 2}, nil)
						raw := res.Get("raw_com").RawData()
						var b []uint32
						for _, v := range raw.(*array.Dense[float32]).Contiguous().Data() {
							b = append(b, math.Float32bits(v))
						}
						if first == nil {
							first = b
						} else if !slices.Equal(first, b) {
							t.Fatalf("raw_com differs between 1 and %d partitions", parts)
						}
						got, _ := f64(t, raw)
						want := make([]float64, 0, 2*frames)
						for f := range frames {
							var s, syw, sxw float64
							for y := range sy {
								for x := range sx {
									d2 := (float64(y)-cy)*(float64(y)-cy) + (float64(x)-cx)*(float64(x)-cx)
									if d2 > sel.r*sel.r || (sel.ri != 0 && d2 <= sel.ri*sel.ri) {
										continue
									}
									v := val((f*sy+y)*sx + x)
									s += v
									syw += float64(y) * v
									sxw += float64(x) * v
								}
							}
							want = append(want, syw/s, sxw/s)
						}
						closeTo(t, "raw_com", got, want, 2e-6, 1e-5)
					}
				})
			}
		}
	}
}
