package udf

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/dataset"
)

// pixelSumFrame sums every frame into a nav buffer and checks the frame and view
// shapes of the reference's buffer rules.
type pixelSumFrame struct{ sig []int }

func (pixelSumFrame) ResultBuffers(*Meta) []BufferSpec {
	return []BufferSpec{NavBuffer("pixelsum", array.Float32)}
}

func (u pixelSumFrame) ProcessFrame(env *Env, frame array.Array) error {
	if u.sig != nil && !slices.Equal(frame.Shape(), u.sig) {
		return fmt.Errorf("frame shape %v, want %v", frame.Shape(), u.sig)
	}
	v := F32(env, 0)
	if !slices.Equal(v.Shape(), []int{1}) {
		return fmt.Errorf("nav view shape %v, want (1,)", v.Shape())
	}
	var s float32
	for _, x := range frame.(*array.Dense[float32]).Data() {
		s += x
	}
	v.Data()[0] += s
	return nil
}

func checkPixelsum(t *testing.T, res *Result, data *array.Dense[float32], sigSize int, roi []bool) {
	t.Helper()
	want := frameSums(data.Data(), sigSize)
	raw := f32data(t, res.Get("pixelsum").RawData())
	j := 0
	for f, w := range want {
		if roi != nil && !roi[f] {
			continue
		}
		if !close32(raw[j], w) {
			t.Fatalf("raw[%d] (frame %d) = %v, want %v", j, f, raw[j], w)
		}
		j++
	}
	if j != len(raw) {
		t.Fatalf("raw has %d rows, want %d", len(raw), j)
	}
	full := f32data(t, res.Get("pixelsum").Data())
	for f, w := range want {
		if roi != nil && !roi[f] {
			if !math.IsNaN(float64(full[f])) {
				t.Fatalf("data[%d] = %v outside the ROI, want NaN", f, full[f])
			}
			continue
		}
		if !close32(full[f], w) {
			t.Fatalf("data[%d] = %v, want %v", f, full[f], w)
		}
	}
}

func TestScenario03_FrameNavBuffer(t *testing.T) {
	cases := []struct {
		name  string
		shape []int
		nav   []int
		tile  []int
	}{
		{"4d", []int{16, 16, 16, 16}, []int{16, 16}, []int{1, 16, 16}},
		{"3d", []int{256, 16, 16}, []int{256}, []int{1, 16, 16}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			data := testData(c.shape...)
			ds := memDS(t, data, dataset.MemoryOptions{NumPartitions: 2, TileShape: c.tile})
			for _, res := range runBoth(t, ds, pixelSumFrame{sig: []int{16, 16}}, Options{}) {
				checkPixelsum(t, res, data, 256, nil)
				if got := res.Get("pixelsum").Data().Shape(); !slices.Equal(got, c.nav) {
					t.Fatalf("data shape %v, want %v", got, c.nav)
				}
			}
		})
	}
}

// counterUDF: single uint32 counter and a single (16,) row-sum buffer, custom merge.
type counterUDF struct{}

func (counterUDF) ResultBuffers(*Meta) []BufferSpec {
	return []BufferSpec{SingleBuffer("counter", array.Uint32), SingleBuffer("sum_frame", array.Float32, 16)}
}

func (counterUDF) ProcessFrame(env *Env, frame array.Array) error {
	View[uint32](env, 0).Data()[0]++
	f := frame.(*array.Dense[float32])
	sf := F32(env, 1).Data()
	for y := 0; y < 16; y++ {
		for x := 0; x < 16; x++ {
			sf[y] += f.At(y, x)
		}
	}
	return nil
}

func (counterUDF) Merge(dest, src *Views, _ *Meta) error {
	View[uint32](dest, 0).Data()[0] += View[uint32](src, 0).Data()[0]
	d, s := F32(dest, 1).Data(), F32(src, 1).Data()
	for i := range d {
		d[i] += s[i]
	}
	return nil
}

func TestScenario04_SingleBufferCustomMerge(t *testing.T) {
	data := testData(16, 16, 16, 16)
	ds := memDS(t, data, dataset.MemoryOptions{NumPartitions: 2, TileShape: []int{2, 16, 16}})
	for _, res := range runBoth(t, ds, counterUDF{}, Options{}) {
		c := res.Get("counter").Data().(*array.Dense[uint32])
		if !slices.Equal(c.Shape(), []int{1}) || c.Data()[0] != 256 {
			t.Fatalf("counter %v %v, want [256] of shape (1,)", c.Shape(), c.Data())
		}
		// sum_frame == data.sum(axis=(0,1,3))
		want := make([]float64, 16)
		for f := 0; f < 256; f++ {
			for y := 0; y < 16; y++ {
				for x := 0; x < 16; x++ {
					want[y] += float64(data.Data()[f*256+y*16+x])
				}
			}
		}
		got := f32data(t, res.Get("sum_frame").Data())
		for i := range want {
			if !close32(got[i], want[i]) {
				t.Fatalf("sum_frame[%d] = %v, want %v", i, got[i], want[i])
			}
		}
	}
}

// extraUDF declares nav, sig and single buffers with the given extra shape; with
// extent 2 it writes (1,2), ones and (1,2) (frame or tile version).
type extraUDF struct {
	extra []int
	tiled bool
}

func (u extraUDF) ResultBuffers(*Meta) []BufferSpec {
	return []BufferSpec{
		NavBuffer("test", array.Float32, u.extra...),
		SigBuffer("test2", array.Float32, u.extra...),
		SingleBuffer("test3", array.Float32, u.extra...),
	}
}

func (u extraUDF) Method(*Meta) Method {
	if u.tiled {
		return MethodTile
	}
	return MethodFrame
}

func (u extraUDF) ProcessFrame(env *Env, frame array.Array) error {
	if u.extra[0] == 0 {
		return nil
	}
	nav := F32(env, 0) // shape E = (2,) (the frame-view asymmetry)
	if !slices.Equal(nav.Shape(), []int{2}) {
		return fmt.Errorf("frame nav view %v, want (2,)", nav.Shape())
	}
	nav.Set(1, 0)
	nav.Set(2, 1)
	for i := range F32(env, 1).Data() {
		F32(env, 1).Data()[i]++
	}
	s := F32(env, 2).Data()
	s[0]++
	s[1] += 2
	return nil
}

func (u extraUDF) ProcessTile(env *Env, tile array.Array) error {
	depth := tile.Shape()[0]
	nav := F32(env, 0)
	if !slices.Equal(nav.Shape(), []int{depth, 2}) {
		return fmt.Errorf("tile nav view %v, want (%d,2)", nav.Shape(), depth)
	}
	for i := 0; i < depth; i++ {
		nav.Set(1, i, 0)
		nav.Set(2, i, 1)
	}
	sig := F32(env, 1)
	// sig view: the tile's box + (2,), possibly strided
	sig.ForEach(func(idx []int, v float32) { sig.Set(v+float32(depth), idx...) })
	if env.Meta.TilingSchemeIdx == 0 { // count each frame once whatever the sig tiling
		s := F32(env, 2).Data()
		s[0] += float32(depth)
		s[1] += 2 * float32(depth)
	}
	return nil
}

func (extraUDF) Merge(dest, src *Views, _ *Meta) error {
	if err := F32(dest, 0).CopyFrom(F32(src, 0)); err != nil {
		return err
	}
	for j := 1; j < 3; j++ {
		d, s := F32(dest, j).Data(), F32(src, j).Data()
		for i := range d {
			d[i] += s[i]
		}
	}
	return nil
}

func checkExtra(t *testing.T, res *Result, nav []int, n int, roi []bool) {
	t.Helper()
	test := res.Get("test")
	if !slices.Equal(test.Data().Shape(), append(slices.Clone(nav), 2)) {
		t.Fatalf("test.data shape %v", test.Data().Shape())
	}
	raw := f32data(t, test.RawData())
	if len(raw) != 2*n {
		t.Fatalf("test raw len %d, want %d", len(raw), 2*n)
	}
	for i := 0; i < n; i++ {
		if raw[2*i] != 1 || raw[2*i+1] != 2 {
			t.Fatalf("test raw row %d = %v", i, raw[2*i:2*i+2])
		}
	}
	if roi != nil {
		full := f32data(t, test.Data())
		for f, v := range roi {
			if !v && !math.IsNaN(float64(full[2*f])) {
				t.Fatalf("test.data outside ROI = %v, want NaN", full[2*f])
			}
		}
	}
	test2 := res.Get("test2")
	if !slices.Equal(test2.Data().Shape(), []int{16, 16, 2}) {
		t.Fatalf("test2 shape %v", test2.Data().Shape())
	}
	for i, v := range f32data(t, test2.Data()) {
		if v != float32(n) {
			t.Fatalf("test2[%d] = %v, want %d", i, v, n)
		}
	}
	if got := f32data(t, res.Get("test3").Data()); !slices.Equal(got, []float32{float32(n), 2 * float32(n)}) {
		t.Fatalf("test3 = %v, want (%d, %d)", got, n, 2*n)
	}
	if !slices.Equal(test.ExtraShape(), []int{2}) {
		t.Fatalf("extra shape %v", test.ExtraShape())
	}
}

func TestScenario05_ExtraShapes(t *testing.T) {
	data := testData(16, 16, 16, 16)
	ds := memDS(t, data, dataset.MemoryOptions{NumPartitions: 2, TileShape: []int{4, 16, 16}})
	for _, res := range runBoth(t, ds, extraUDF{extra: []int{2}}, Options{}) {
		checkExtra(t, res, []int{16, 16}, 256, nil)
	}
	t.Run("zero extent", func(t *testing.T) {
		res := runOne(t, ds, extraUDF{extra: []int{0}}, Options{})
		for name, want := range map[string][]int{"test": {16, 16, 0}, "test2": {16, 16, 0}, "test3": {0}} {
			if got := res.Get(name).Data().Shape(); !slices.Equal(got, want) {
				t.Errorf("%s shape %v, want %v", name, got, want)
			}
		}
	})
}

func TestScenario06_ROIVariants(t *testing.T) {
	data := testData(16, 16, 16, 16)
	firstRow := array.Zeros[bool](16, 16)
	for x := 0; x < 16; x++ {
		firstRow.Set(true, 0, x)
	}
	allTrue := array.Zeros[bool](16, 16)
	allTrue.Fill(true)
	rois := map[string]*array.Dense[bool]{
		"random":    randomROI(6, 16, 16),
		"all false": array.Zeros[bool](16, 16),
		"all true":  allTrue,
		"first row": firstRow,
	}
	for _, np := range []int{4, 16} {
		for name, roi := range rois {
			t.Run(fmt.Sprintf("%s/%d", name, np), func(t *testing.T) {
				ds := memDS(t, data, dataset.MemoryOptions{NumPartitions: np, TileShape: []int{3, 16, 16}})
				for _, res := range runBoth(t, ds, pixelSumFrame{}, Options{ROI: roi}) {
					checkPixelsum(t, res, data, 256, roiFlat(roi))
					if name == "all false" && !slices.Equal(res.Get("pixelsum").RawData().Shape(), []int{0}) {
						t.Fatalf("raw shape %v, want (0,)", res.Get("pixelsum").RawData().Shape())
					}
				}
			})
		}
	}
	t.Run("empty ROI yields one iteration", func(t *testing.T) {
		ds := memDS(t, data, dataset.MemoryOptions{NumPartitions: 4})
		n := 0
		for s, err := range RunIter(context.Background(), ds, []UDF{pixelSumFrame{}}, Options{ROI: rois["all false"]}) {
			if err != nil {
				t.Fatal(err)
			}
			n++
			if _, err := s.Results(); err != nil {
				t.Fatal(err)
			}
		}
		if n != 1 {
			t.Fatalf("%d snapshots, want 1", n)
		}
	})
}

func TestScenario07_ROIExtraShapes(t *testing.T) {
	data := testData(16, 16, 16, 16)
	roi := randomROI(7, 16, 16)
	n := count(roiFlat(roi))
	for _, tiled := range []bool{false, true} {
		t.Run(fmt.Sprint("tiled=", tiled), func(t *testing.T) {
			ds := memDS(t, data, dataset.MemoryOptions{NumPartitions: 4, TileShape: []int{4, 16, 16}})
			res := runOne(t, ds, extraUDF{extra: []int{2}, tiled: tiled}, Options{ROI: roi})
			checkExtra(t, res, []int{16, 16}, n, roiFlat(roi))
		})
	}
	t.Run("cropped sig boxes", func(t *testing.T) {
		ds := memDS(t, data, dataset.MemoryOptions{NumPartitions: 3, TileShape: []int{4, 5, 7}})
		res := runOne(t, ds, extraUDF{extra: []int{2}, tiled: true}, Options{ROI: roi})
		// Every sig pixel is covered once per selected frame.
		checkExtra(t, res, []int{16, 16}, n, roiFlat(roi))
	})
}

// sigSum: a sig buffer with no Merge.
type sigSumNoMerge struct{}

func (sigSumNoMerge) ResultBuffers(*Meta) []BufferSpec {
	return []BufferSpec{SigBuffer("sum", array.Float32)}
}
func (sigSumNoMerge) ProcessFrame(env *Env, frame array.Array) error { return nil }

// navAssignMerge: a nav buffer with an assignment-style Merge.
type navAssignMerge struct{ pixelSumFrame }

func (navAssignMerge) Merge(dest, src *Views, _ *Meta) error {
	return F32(dest, 0).CopyFrom(F32(src, 0))
}

// sumFrames adds each frame into a sig buffer.
type sumFrames struct{}

func (sumFrames) ResultBuffers(*Meta) []BufferSpec {
	return []BufferSpec{SigBuffer("sum", array.Float32)}
}
func (sumFrames) ProcessFrame(env *Env, frame array.Array) error {
	s := F32(env, 0).Data()
	for i, v := range frame.(*array.Dense[float32]).Data() {
		s[i] += v
	}
	return nil
}
func (sumFrames) Merge(dest, src *Views, _ *Meta) error {
	d, s := F32(dest, 0).Data(), F32(src, 0).Data()
	for i := range d {
		d[i] += s[i]
	}
	return nil
}

func TestScenario08_MissingMerge(t *testing.T) {
	data := testData(8, 8, 16, 16)
	ds := memDS(t, data, dataset.MemoryOptions{NumPartitions: 2})
	_, err := RunOne(context.Background(), ds, sigSumNoMerge{}, Options{})
	if !errors.Is(err, ErrCustomMergeRequired) {
		t.Fatalf("err = %v, want ErrCustomMergeRequired", err)
	}
	a := runOne(t, ds, pixelSumFrame{}, Options{})
	b := runOne(t, ds, navAssignMerge{}, Options{})
	if !slices.Equal(f32data(t, a.Get("pixelsum").RawData()), f32data(t, b.Get("pixelsum").RawData())) {
		t.Fatal("assignment merge differs from the default merge")
	}
	s := runOne(t, ds, sumFrames{}, Options{})
	want := navSums(data.Data(), 256, nil)
	for i, v := range f32data(t, s.Get("sum").Data()) {
		if !close32(v, want[i]) {
			t.Fatalf("sum[%d] = %v, want %v", i, v, want[i])
		}
	}
}
