package udf_test

import (
	"context"
	"fmt"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/dataset"
	"github.com/stemflow/stemflow/delayed"
	"github.com/stemflow/stemflow/udf"
)

// AverageUDF is like a sum over frames, but also computes the average on the main
// node in Results (the seed's example of post-processing after merging).
type AverageUDF struct{}

// Buffer indices, in ResultBuffers order.
const (
	avgSum = iota
	avgNumFrames
	avgAverage
)

func (AverageUDF) ResultBuffers(*udf.Meta) []udf.BufferSpec {
	return []udf.BufferSpec{
		udf.SigBuffer("sum", array.Float32),
		udf.SingleBuffer("num_frames", array.Uint64),
		udf.SigBuffer("average", array.Float32).ResultOnly(),
	}
}

func (AverageUDF) ProcessFrame(env *udf.Env, frame array.Array) error {
	sum := udf.F32(env, avgSum).Data()
	for i, v := range frame.(*array.Dense[float32]).Data() {
		sum[i] += v
	}
	udf.View[uint64](env, avgNumFrames).Data()[0]++
	return nil
}

func (AverageUDF) Merge(dest, src *udf.Views, _ *udf.Meta) error {
	d, s := udf.F32(dest, avgSum).Data(), udf.F32(src, avgSum).Data()
	for i := range d {
		d[i] += s[i]
	}
	udf.View[uint64](dest, avgNumFrames).Data()[0] += udf.View[uint64](src, avgNumFrames).Data()[0]
	return nil
}

func (AverageUDF) Results(env *udf.Env) (map[string]array.Array, error) {
	sum := udf.F32(env, avgSum)
	n := float32(udf.View[uint64](env, avgNumFrames).Data()[0])
	avg := array.Zeros[float32](sum.Shape()...)
	for i, v := range sum.Data() {
		avg.Data()[i] = v / n
	}
	// "sum" and "num_frames" are not returned: they pass through unchanged.
	return map[string]array.Array{"average": avg}, nil
}

// ramp returns a (ny, nx, sy, sx) float32 dataset with frame i filled with i.
func ramp(ny, nx, sy, sx, parts int) dataset.Dataset {
	data := array.Zeros[float32](ny, nx, sy, sx)
	for i := range data.Data() {
		data.Data()[i] = float32(i / (sy * sx))
	}
	ds, err := dataset.NewMemory(data, dataset.MemoryOptions{NumPartitions: parts})
	if err != nil {
		panic(err)
	}
	return ds
}

func ExampleRun_average() {
	ds := ramp(4, 4, 2, 2, 2) // frames 0..15
	res, err := udf.RunOne(context.Background(), ds, AverageUDF{}, udf.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Names())
	fmt.Println(res.Get("average").Data().(*array.Dense[float32]).Data())
	fmt.Println(res.Get("num_frames").Data().(*array.Dense[uint64]).Data())
	// Output:
	// [average sum num_frames]
	// [7.5 7.5 7.5 7.5]
	// [16]
}

// PixelsumUDF writes each frame's sum into a single buffer indexed by Meta.Slice,
// the current frame's place in flat-nav, ROI-compressed coordinates.
type PixelsumUDF struct{}

func (PixelsumUDF) ResultBuffers(m *udf.Meta) []udf.BufferSpec {
	return []udf.BufferSpec{udf.SingleBuffer("pixelsum_nav_raw", m.DatasetDType, m.NavCount())}
}

func (PixelsumUDF) Merge(dest, src *udf.Views, _ *udf.Meta) error {
	d, s := udf.F32(dest, 0).Data(), udf.F32(src, 0).Data()
	for i := range d {
		d[i] += s[i]
	}
	return nil
}

func (PixelsumUDF) ProcessFrame(env *udf.Env, frame array.Array) error {
	var s float32
	for _, v := range frame.(*array.Dense[float32]).Data() {
		s += v
	}
	udf.F32(env, 0).Data()[env.Meta.Slice.Origin[0]] = s
	return nil
}

func Example_pixelsum() {
	ds := ramp(4, 4, 2, 2, 2)
	roi := array.Zeros[bool](4, 4)
	roi.Set(true, 1, 2) // frame 6
	roi.Set(true, 3, 1) // frame 13
	res, err := udf.RunOne(context.Background(), ds, PixelsumUDF{}, udf.Options{ROI: roi})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Get("pixelsum_nav_raw").Data().(*array.Dense[float32]).Data())
	// Output: [24 52]
}

// CoordUDF copies the true nav coordinates of every tile into a nav buffer.
type CoordUDF struct{}

func (CoordUDF) ResultBuffers(m *udf.Meta) []udf.BufferSpec {
	return []udf.BufferSpec{udf.NavBuffer("coords", array.Int64, m.DatasetShape.NavDims())}
}

func (CoordUDF) ProcessTile(env *udf.Env, _ array.Array) error {
	return udf.View[int64](env, 0).CopyFrom(env.Meta.Coordinates())
}

func Example_coordinates() {
	ds := ramp(16, 16, 4, 4, 2)
	roi := array.Zeros[bool](16, 16)
	roi.Set(true, 7, 13)
	roi.Set(true, 11, 3)
	res, err := udf.RunOne(context.Background(), ds, CoordUDF{}, udf.Options{ROI: roi})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Get("coords").RawData().(*array.Dense[int64]).Data())
	// Output: [7 13 11 3]
}

// SumSigUDF sums each frame (tiled) and prints the array backend it receives.
type SumSigUDF struct{}

func (SumSigUDF) ResultBuffers(m *udf.Meta) []udf.BufferSpec {
	return []udf.BufferSpec{udf.NavBuffer("intensity", array.ResultType(m.InputDType, array.Float32)).OnDevice()}
}

func (SumSigUDF) ProcessTile(env *udf.Env, tile array.Array) error {
	fmt.Println(env.Meta.ArrayBackend)
	out := udf.F32(env, 0).Data()
	t := tile.(*array.Dense[float32])
	per := t.Size() / len(out)
	for f := range out {
		for _, v := range t.Data()[f*per : (f+1)*per] {
			out[f] += v // += because a tile may cover part of the signal
		}
	}
	return nil
}

func Example_sumSigBackend() {
	ds, _ := dataset.NewMemoryZeros([]int{23, 42, 17, 4}, array.Float32, dataset.MemoryOptions{NumPartitions: 2})
	_, err := udf.RunOne(context.Background(), ds, SumSigUDF{}, udf.Options{Inline: true})
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// numpy
	// numpy
}

func ExampleMap() {
	ds := ramp(2, 3, 2, 2, 2)
	buf, err := udf.Map(context.Background(), ds, func(frame array.Array) (any, error) {
		return frame.(*array.Dense[float32]).At(0, 0) * 10, nil
	}, udf.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	d := buf.Data().(*array.Dense[float32])
	fmt.Println(d.Shape(), d.Data())
	// Output: [2 3] [0 10 20 30 40 50]
}

func ExampleRunIter() {
	ds := ramp(4, 4, 2, 2, 4)
	for snap, err := range udf.RunIter(context.Background(), ds, []udf.UDF{AverageUDF{}}, udf.Options{}) {
		if err != nil {
			fmt.Println(err)
			return
		}
		res, _ := snap.Results() // Results runs only when asked
		n := res[0].Get("num_frames").Data().(*array.Dense[uint64]).Data()[0]
		fmt.Printf("%d/%d partitions merged, %d frames\n", snap.Done(), snap.Total(), n)
	}
	// Output:
	// 1/4 partitions merged, 4 frames
	// 2/4 partitions merged, 8 frames
	// 3/4 partitions merged, 12 frames
	// 4/4 partitions merged, 16 frames
}

func ExampleRunLazy() {
	ds := ramp(4, 4, 2, 2, 2)
	l, err := udf.RunLazy(ds, []udf.UDF{AverageUDF{}}, udf.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	// Compose the lazy result with a plain Go function; nothing has run yet.
	avg := l.Data(0, "average")
	peak := delayed.Call1(func(a array.Array) float32 {
		m := float32(0)
		for _, v := range a.(*array.Dense[float32]).Data() {
			m = max(m, v)
		}
		return m
	}, avg)
	v, err := peak.Compute(context.Background())
	fmt.Println(v, err, len(l.Chunks(0, "sum")))
	// Output: 7.5 <nil> 2
}

// The reference's other ROI forms: one nav position, and (coords, value) pairs that
// share one truth value (the other positions get the opposite one).
func ExampleROIFromPairs() {
	nav := []int{2, 3}
	one, _ := udf.ROIFromCoords(nav, 1, -1)
	fmt.Println(one.Data())
	excl, _ := udf.ROIFromPairs(nav, udf.ROIPair{Coords: []int{0, 0}}, udf.ROIPair{Coords: []int{1, 2}})
	fmt.Println(excl.Data())
	_, err := udf.ROIFromPairs(nav, udf.ROIPair{Coords: []int{0, 0}}, udf.ROIPair{Coords: []int{1, 2}, Selected: true})
	fmt.Println(err)
	// Output:
	// [false false false false false true]
	// [false true true true true false]
	// udf: invalid roi: pair 1 (coords [1 2]) has value true, pair 0 has false: all pairs must share one value
}
