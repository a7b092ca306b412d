package udfs

import (
	"context"
	"errors"
	"fmt"
	"math"
	"testing"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/dataset"
	"github.com/stemflow/stemflow/udf"
)

// builtins returns one instance of every built-in UDF, by the name the tables use.
func builtins(t testing.TB) map[string]func() udf.UDF {
	return map[string]func() udf.UDF{
		"sum":    func() udf.UDF { return Sum{} },
		"sumsig": func() udf.UDF { return SumSig{} },
		"stddev": func() udf.UDF { return StdDev{} },
		"logsum": func() udf.UDF { return Logsum{} },
		"pick":   func() udf.UDF { return Pick{} },
		"disk":   func() udf.UDF { return &ApplyMasks{Factories: []MaskFactory{DiskMask(2, 2, 1.5)}} },
		"ring":   func() udf.UDF { return &ApplyMasks{Factories: []MaskFactory{RingMask(2, 2, 2, 1)}} },
		"masks": func() udf.UDF {
			return &ApplyMasks{Factories: []MaskFactory{DiskMask(1, 1, 1), PointMask(3, 2)}}
		},
		"com": func() udf.UDF {
			c, err := NewCoM()
			if err != nil {
				t.Fatal(err)
			}
			return c
		},
		"fem":           func() udf.UDF { return FEM{Center: [2]float64{2, 2}, RadIn: 0, RadOut: 2} },
		"crystallinity": func() udf.UDF { return Crystallinity{RadIn: 0, RadOut: 2} },
		"noop":          func() udf.UDF { return NoOp{} },
	}
}

// numericData returns a (3, 4, 5, 5) array of dtype dt holding small non-negative
// integers (exact in every dtype).
func numericData(dt array.DType) array.Array {
	n := 3 * 4 * 5 * 5
	vals := make([]float64, n)
	for i := range vals {
		vals[i] = float64((i*7 + 3) % 11)
	}
	a := array.New(dt, 3, 4, 5, 5)
	if err := storeF64(a, vals); err != nil {
		panic(err)
	}
	return a
}

var allNumeric = []array.DType{array.Bool, array.Uint8, array.Uint16, array.Uint32, array.Uint64,
	array.Int8, array.Int16, array.Int32, array.Int64, array.Float32, array.Float64, array.Complex64, array.Complex128}

// TestBuiltinsEveryDType: every built-in runs on every numeric dtype a format produces;
// only logsum, disk, ring, masks (and the frame UDFs FEM and Crystallinity) may refuse
// complex input, and they do so with ErrUnsupportedDType before any tile is read.
func TestBuiltinsEveryDType(t *testing.T) {
	mayRefuseComplex := map[string]bool{"logsum": true, "disk": true, "ring": true, "masks": true, "fem": true, "crystallinity": true, "com": true}
	for name, mk := range builtins(t) {
		for _, dt := range allNumeric {
			t.Run(fmt.Sprintf("%s/%v", name, dt), func(t *testing.T) {
				ds := &countingDS{Dataset: memDS(t, numericData(dt), dataset.MemoryOptions{NumPartitions: 2})}
				res, err := udf.RunOne(context.Background(), ds, mk(), udf.Options{Inline: true})
				if dt.Kind() == array.KindComplex && mayRefuseComplex[name] {
					if err != nil && (!errors.Is(err, ErrUnsupportedDType) || ds.reads > 0) {
						t.Fatalf("refusal after %d reads: %v", ds.reads, err)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if name == "com" {
					checkCoMValues(t, dt, res)
				}
			})
		}
	}
}

// checkCoMValues compares raw_com with Σy·p/Σp, Σx·p/Σp of numericData's frames by a
// direct loop (default CoM: the whole frame is selected).
func checkCoMValues(t *testing.T, dt array.DType, res *udf.Result) {
	t.Helper()
	got, err := toF64(res.Get("raw_com").Data())
	if err != nil {
		t.Fatal(err)
	}
	for f := range 12 {
		var s, sy, sx float64
		for y := range 5 {
			for x := range 5 {
				i := f*25 + y*5 + x
				v := float64((i*7 + 3) % 11)
				if dt == array.Bool && v != 0 {
					v = 1
				}
				s += v
				sy += float64(y) * v
				sx += float64(x) * v
			}
		}
		wy, wx := sy/s, sx/s
		if math.Abs(got[2*f]-wy) > 1e-5 || math.Abs(got[2*f+1]-wx) > 1e-5 {
			t.Fatalf("frame %d: raw_com (%v, %v), want (%v, %v)", f, got[2*f], got[2*f+1], wy, wx)
		}
	}
}

// TestBuiltinResultDTypes: every built-in's result buffers have the reference's dtypes,
// written out here per input dtype (float32, uint16, float64 and int32 data).
func TestBuiltinResultDTypes(t *testing.T) {
	f32, f64, i64 := array.Float32, array.Float64, array.Int64
	type want map[string]array.DType
	// per built-in: input dtype -> buffer -> dtype
	table := map[string]map[array.DType]want{
		"sum": {
			array.Float32: {"intensity": f32}, array.Uint16: {"intensity": f32},
			array.Float64: {"intensity": f64}, array.Int32: {"intensity": f64},
		},
		"sumsig": {
			array.Float32: {"intensity": f32}, array.Uint16: {"intensity": f32},
			array.Float64: {"intensity": f64}, array.Int32: {"intensity": f64},
		},
		"stddev": {
			array.Float32: {"varsum": f64, "num_frames": i64, "sum": f64, "var": f64, "std": f64, "mean": f64},
			array.Uint16:  {"varsum": f64, "num_frames": i64, "sum": f64, "var": f64, "std": f64, "mean": f64},
			array.Float64: {"varsum": f64, "num_frames": i64, "sum": f64, "var": f64, "std": f64, "mean": f64},
			array.Int32:   {"varsum": f64, "num_frames": i64, "sum": f64, "var": f64, "std": f64, "mean": f64},
		},
		"logsum": {
			array.Float32: {"logsum": f32}, array.Uint16: {"logsum": f32},
			array.Float64: {"logsum": f32}, array.Int32: {"logsum": f32},
		},
		"pick": {
			array.Float32: {"intensity": f32}, array.Uint16: {"intensity": array.Uint16},
			array.Float64: {"intensity": f64}, array.Int32: {"intensity": array.Int32},
		},
		"disk": {
			array.Float32: {"intensity": f32}, array.Uint16: {"intensity": f32},
			array.Float64: {"intensity": f64}, array.Int32: {"intensity": f64},
		},
		"com": {
			array.Float32: comWant(f32), array.Uint16: comWant(f32),
			array.Float64: comWant(f64), array.Int32: comWant(f64),
		},
		"fem": {
			array.Float32: {"intensity": f32}, array.Uint16: {"intensity": f32},
			array.Float64: {"intensity": f32}, array.Int32: {"intensity": f32},
		},
		"crystallinity": {
			array.Float32: {"intensity": f32}, array.Uint16: {"intensity": f32},
			array.Float64: {"intensity": f32}, array.Int32: {"intensity": f32},
		},
	}
	mk := builtins(t)
	for name, byDT := range table {
		for in, bufs := range byDT {
			ds := memDS(t, numericData(in), dataset.MemoryOptions{NumPartitions: 2})
			res, err := udf.RunOne(context.Background(), ds, mk[name](), udf.Options{Inline: true})
			if err != nil {
				t.Fatalf("%s on %v: %v", name, in, err)
			}
			for buf, dt := range bufs {
				rb := res.Get(buf)
				if rb == nil {
					t.Errorf("%s on %v: no buffer %q", name, in, buf)
					continue
				}
				if rb.DType() != dt || rb.Data().DType() != dt {
					t.Errorf("%s on %v: %s is %v (data %v), want %v", name, in, buf, rb.DType(), rb.Data().DType(), dt)
				}
			}
		}
	}
}

// comWant lists CoM's buffers: raw_com and raw_shifts in result_type(input, float32),
// the corrected field and everything derived from it, and the regression, in float64.
func comWant(raw array.DType) map[string]array.DType {
	f64 := array.Float64
	return map[string]array.DType{"raw_com": raw, "raw_shifts": raw, "field": f64, "field_y": f64, "field_x": f64,
		"magnitude": f64, "divergence": f64, "curl": f64, "regression": f64}
}

// countingDS counts ReadTiles calls.
type countingDS struct {
	dataset.Dataset
	reads int
}

func (c *countingDS) ReadTiles(ctx context.Context, p dataset.Partition, req dataset.TileRequest, fn func(t *dataset.Tile) error) error {
	c.reads++
	return c.Dataset.ReadTiles(ctx, p, req, fn)
}
