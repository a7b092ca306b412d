package udf

import (
	"context"
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/dataset"
	"github.com/stemflow/stemflow/delayed"
	"github.com/stemflow/stemflow/mergeall"
)

// Test stand-ins for the built-ins of scenario 22.

// sigSumT sums each frame's signal (tiled, nav buffer); merge overridden, or merge_all.
type sigSumT struct{}

func (sigSumT) ResultBuffers(*Meta) []BufferSpec { return []BufferSpec{NavBuffer("s", array.Float64)} }
func (sigSumT) ProcessTile(env *Env, tile array.Array) error {
	out := F64(env, 0).Data()
	t := tile.(*array.Dense[float32])
	per := t.Size() / len(out)
	for f := range out {
		for _, v := range t.Data()[f*per : (f+1)*per] {
			out[f] += float64(v)
		}
	}
	return nil
}

type sigSumMerge struct{ sigSumT }

func (sigSumMerge) Merge(dest, src *Views, _ *Meta) error { return F64(dest, 0).CopyFrom(F64(src, 0)) }

type sigSumAll struct{ sigSumT }

func (sigSumAll) MergeAll(parts []Partial, _ *Meta) (map[string]array.Array, error) {
	chunks := make([]array.Array, len(parts))
	for i, p := range parts {
		chunks[i] = p.Buffers.At(0)
	}
	c, err := mergeall.ConcatRows(chunks)
	if err != nil {
		return nil, err
	}
	if c == nil {
		return map[string]array.Array{}, nil
	}
	return map[string]array.Array{"s": c}, nil
}

// navSumT sums frames per pixel (tiled, sig buffer).
type navSumT struct{}

func (navSumT) ResultBuffers(*Meta) []BufferSpec { return []BufferSpec{SigBuffer("n", array.Float64)} }
func (navSumT) ProcessTile(env *Env, tile array.Array) error {
	out := F64(env, 0)
	t := tile.(*array.Dense[float32])
	for f := 0; f < t.Shape()[0]; f++ {
		t.Row(f).ForEach(func(idx []int, v float32) { out.Set(out.At(idx...)+float64(v), idx...) })
	}
	return nil
}

type navSumMerge struct{ navSumT }

func (navSumMerge) Merge(dest, src *Views, _ *Meta) error {
	d, s := F64(dest, 0).Data(), F64(src, 0).Data()
	for i := range d {
		d[i] += s[i]
	}
	return nil
}

type navSumAll struct{ navSumT }

func (navSumAll) MergeAll(parts []Partial, m *Meta) (map[string]array.Array, error) {
	out := array.Zeros[float64](m.DatasetShape.Sig()...)
	for _, p := range parts {
		for i, v := range F64(p.Buffers, 0).Data() {
			out.Data()[i] += v
		}
	}
	return map[string]array.Array{"n": out}, nil
}

// masksT applies a mask stack per tile through a MaskContainer in task data.
type masksT struct {
	masks func(sig []int) *array.Dense[float32]
	n     int
}

func (u masksT) ResultBuffers(*Meta) []BufferSpec {
	return []BufferSpec{NavBuffer("intensity", array.Float32, u.n)}
}
func (u masksT) TaskData(env *Env) (any, error) {
	sig := env.Meta.DatasetShape.Sig()
	return NewMaskStack(func([]int) (array.Array, error) { return u.masks(sig), nil }, array.Float32), nil
}
func (u masksT) ProcessTile(env *Env, tile array.Array) error {
	mc := env.TaskData().(*MaskContainer)
	m, err := mc.Get(env.Meta.SigSlice, true) // (boxPixels, n)
	if err != nil {
		return err
	}
	md := m.(*array.Dense[float32]).Data()
	t := tile.(*array.Dense[float32])
	out := F32(env, 0).Data()
	depth := t.Shape()[0]
	px := t.Size() / depth
	for f := 0; f < depth; f++ {
		for p, v := range t.Data()[f*px : (f+1)*px] {
			for k := 0; k < u.n; k++ {
				out[f*u.n+k] += v * md[p*u.n+k]
			}
		}
	}
	return nil
}

// countT counts frames: nav int32 ones and a result-only total.
type countT struct{}

func (countT) ResultBuffers(*Meta) []BufferSpec {
	return []BufferSpec{NavBuffer("c", array.Int32), SingleBuffer("total", array.Int64).ResultOnly()}
}
func (countT) ProcessTile(env *Env, _ array.Array) error {
	View[int32](env, 0).Fill(1) // idempotent over the sig boxes of a tile
	return nil
}
func (countT) Results(env *Env) (map[string]array.Array, error) {
	var s int64
	for _, v := range View[int32](env, 0).Data() {
		s += int64(v)
	}
	return map[string]array.Array{"total": array.Wrap([]int64{s}, 1)}, nil
}

// stringT writes "a" into an S1 nav buffer.
type stringT struct{}

func (stringT) ResultBuffers(*Meta) []BufferSpec {
	return []BufferSpec{NavBuffer("str", array.Bytes(1))}
}
func (stringT) ProcessTile(env *Env, _ array.Array) error {
	View[string](env, 0).Fill("a")
	return nil
}

func TestScenario22_DelayedMatrix(t *testing.T) {
	type dsCase struct {
		shape []int
		tile  []int
		parts int
	}
	dss := []dsCase{
		{[]int{16, 8, 32, 64}, []int{8, 32, 64}, 2},
		{[]int{8, 16, 64, 64}, []int{8, 32, 64}, 7},
		{[]int{16, 16, 8, 64}, []int{8, 8, 64}, 1},
	}
	pixelMask := func(sig []int) *array.Dense[float32] {
		m := array.Zeros[float32](1, sig[0], sig[1])
		m.Set(1.3, 0, sig[0]-1, sig[1]-1)
		return m
	}
	twoMasks := func(sig []int) *array.Dense[float32] {
		m := array.Zeros[float32](2, sig[0], sig[1])
		for y := 0; y < sig[0]; y++ {
			for x := 0; x < sig[1]; x++ {
				m.Set(1, 0, y, x)
				if y < 3 {
					m.Set(1.7, 1, y, x)
				}
			}
		}
		return m
	}
	for _, c := range dss {
		data := testData(c.shape...)
		sig := c.shape[2:]
		sigSize := sig[0] * sig[1]
		ds := memDS(t, data, dataset.MemoryOptions{NumPartitions: c.parts, TileShape: c.tile})
		sets := map[string][]UDF{
			"sigsum":      {sigSumMerge{}},
			"navsum":      {navSumMerge{}},
			"sigsum_all":  {sigSumAll{}},
			"navsum_all":  {navSumAll{}},
			"mask pixel":  {masksT{masks: pixelMask, n: 1}},
			"two masks":   {masksT{masks: twoMasks, n: 2}},
			"count":       {countT{}},
			"string":      {stringT{}},
			"mixed":       {sigSumAll{}, navSumMerge{}, countT{}, stringT{}, masksT{masks: twoMasks, n: 2}},
			"mixed again": {navSumAll{}, sigSumMerge{}},
		}
		for name, us := range sets {
			for _, roi := range []*array.Dense[bool]{nil, randomROI(22, c.shape[0], c.shape[1])} {
				t.Run(fmt.Sprintf("%v/%s/roi=%v", c.shape, name, roi != nil), func(t *testing.T) {
					rf := roiFlat(roi)
					eager, err := Run(context.Background(), ds, us, Options{ROI: roi})
					if err != nil {
						t.Fatal(err)
					}
					l, err := RunLazy(ds, us, Options{ROI: roi})
					if err != nil {
						t.Fatal(err)
					}
					hs := make([]delayed.Handle, len(l.Results))
					for i, h := range l.Results {
						hs[i] = h
					}
					vals, err := delayed.Compute(context.Background(), hs...)
					if err != nil {
						t.Fatal(err)
					}
					for i, u := range us {
						lazy, err := l.Results[i].Get(vals)
						if err != nil {
							t.Fatal(err)
						}
						for _, res := range []*Result{eager[i], lazy} {
							checkNaive(t, u, res, data.Data(), sigSize, rf)
						}
					}
				})
			}
		}
	}
}

// checkNaive compares one result with direct loops.
func checkNaive(t *testing.T, u UDF, res *Result, data []float32, sigSize int, roi []bool) {
	t.Helper()
	frames := len(data) / sigSize
	sel := func(f int) bool { return roi == nil || roi[f] }
	switch u := u.(type) {
	case sigSumMerge, sigSumAll:
		fs := frameSums(data, sigSize)
		d := res.Get("s").Data().(*array.Dense[float64]).Data()
		for f := 0; f < frames; f++ {
			if !sel(f) {
				if !math.IsNaN(d[f]) {
					t.Fatalf("s[%d] = %v outside ROI", f, d[f])
				}
				continue
			}
			if math.Abs(d[f]-fs[f]) > 1e-6*math.Max(1, fs[f]) {
				t.Fatalf("s[%d] = %v, want %v", f, d[f], fs[f])
			}
		}
	case navSumMerge, navSumAll:
		ns := navSums(data, sigSize, roi)
		d := res.Get("n").Data().(*array.Dense[float64]).Data()
		for i := range ns {
			if math.Abs(d[i]-ns[i]) > 1e-6*math.Max(1, ns[i]) {
				t.Fatalf("n[%d] = %v, want %v", i, d[i], ns[i])
			}
		}
	case masksT:
		d := res.Get("intensity").Data().(*array.Dense[float32]).Data()
		for f := 0; f < frames; f++ {
			fr := data[f*sigSize : (f+1)*sigSize]
			want := make([]float64, u.n)
			if u.n == 1 {
				want[0] = float64(fr[sigSize-1]) * float64(float32(1.3))
			} else {
				for p, v := range fr {
					want[0] += float64(v)
					if p/64 < 3 {
						want[1] += float64(v) * float64(float32(1.7))
					}
				}
			}
			for k := 0; k < u.n; k++ {
				got := d[f*u.n+k]
				if !sel(f) {
					if !math.IsNaN(float64(got)) {
						t.Fatalf("mask %d frame %d = %v outside ROI", k, f, got)
					}
					continue
				}
				if !close32(got, want[k]) {
					t.Fatalf("mask %d frame %d = %v, want %v", k, f, got, want[k])
				}
			}
		}
	case countT:
		c := res.Get("c").Data().(*array.Dense[int32]).Data()
		n := 0
		for f := 0; f < frames; f++ {
			want := int32(0)
			if sel(f) {
				want = 1
				n++
			}
			if c[f] != want {
				t.Fatalf("c[%d] = %d, want %d", f, c[f], want)
			}
		}
		if tot := res.Get("total").Data().(*array.Dense[int64]).Data()[0]; tot != int64(n) {
			t.Fatalf("total %d, want %d", tot, n)
		}
	case stringT:
		s := res.Get("str").Data().(*array.Dense[string])
		if s.DType() != array.Bytes(1) {
			t.Fatalf("dtype %v", s.DType())
		}
		for f, v := range s.Data() {
			want := ""
			if sel(f) {
				want = "a"
			}
			if v != want {
				t.Fatalf("str[%d] = %q, want %q", f, v, want)
			}
		}
	default:
		t.Fatalf("no naive check for %T", u)
	}
}

func TestMaskContainer(t *testing.T) {
	stack := array.Zeros[float32](2, 3, 4)
	for i := range stack.Data() {
		stack.Data()[i] = float32(i)
	}
	list := NewMaskList([]MaskFactory{
		func([]int) (array.Array, error) { return stack.Row(0).Copy(), nil },
		func([]int) (array.Array, error) { return stack.Row(1).Copy(), nil },
	}, array.Float64)
	st := NewMaskStack(func([]int) (array.Array, error) { return stack, nil }, array.DType{})
	box := array.NewSlice([]int{1, 1}, array.NewShape([]int{2, 2}, 2))
	// box pixels (1,1),(1,2),(2,1),(2,2) -> flat 5,6,9,10 (+12 for mask 1)
	want := []float64{5, 6, 9, 10, 17, 18, 21, 22}
	wantT := []float64{5, 17, 6, 18, 9, 21, 10, 22}
	for _, c := range []*MaskContainer{list, st} {
		n, err := c.Count()
		if err != nil || n != 2 {
			t.Fatalf("count %d %v", n, err)
		}
		for _, tr := range []bool{false, true} {
			m, err := c.Get(box, tr)
			if err != nil {
				t.Fatal(err)
			}
			w := want
			shape := []int{2, 4}
			if tr {
				w, shape = wantT, []int{4, 2}
			}
			var got []float64
			switch d := m.(type) {
			case *array.Dense[float64]:
				got = d.Data()
			case *array.Dense[float32]:
				for _, v := range d.Data() {
					got = append(got, float64(v))
				}
			}
			if !slices.Equal(got, w) || !slices.Equal(m.Shape(), shape) {
				t.Fatalf("transpose=%v: %v %v, want %v %v", tr, m.Shape(), got, shape, w)
			}
			again, _ := c.Get(box, tr)
			if again != m {
				t.Fatal("cut not cached")
			}
		}
	}
	if _, err := st.Get(array.NewSlice([]int{2, 2}, array.NewShape([]int{2, 4}, 2)), false); err == nil {
		t.Fatal("box outside the masks accepted")
	}
}

func TestDatasetChunksAndPartialChunks(t *testing.T) {
	data := testData(6, 5, 4, 3)
	ds := memDS(t, data, dataset.MemoryOptions{NumPartitions: 4})
	roi := randomROI(3, 6, 5)
	rf := roiFlat(roi)
	for _, r := range [][]bool{nil, rf} {
		chunks, err := DatasetChunks(ds, 4, r, array.Float64)
		if err != nil {
			t.Fatal(err)
		}
		if len(chunks) != 4 {
			t.Fatalf("%d chunks", len(chunks))
		}
		// compose: concatenate the chunks with a plain function, one Compute
		all := delayed.CallSliceErr(mergeall.ConcatRows, chunks)
		got, err := all.Compute(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		var want []float64
		for f := 0; f < 30; f++ {
			if r == nil || r[f] {
				for _, v := range data.Data()[f*12 : (f+1)*12] {
					want = append(want, float64(v))
				}
			}
		}
		g := got.(*array.Dense[float64])
		if !slices.Equal(g.Data(), want) || g.Shape()[0] != len(want)/12 || !slices.Equal(g.Shape()[1:], []int{4, 3}) {
			t.Fatalf("roi=%v: dataset chunks %v differ", r != nil, g.Shape())
		}
	}
	// per-partition partial results of a run, composed and computed in one go
	l, err := RunLazy(ds, []UDF{pixelSumFrame{}}, Options{ROI: roi})
	if err != nil {
		t.Fatal(err)
	}
	cat := delayed.CallSliceErr(mergeall.ConcatRows, l.Chunks(0, "pixelsum"))
	vals, err := delayed.Compute(context.Background(), cat, l.RawData(0, "pixelsum"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := cat.Get(vals)
	if err != nil {
		t.Fatal(err)
	}
	full, err := l.RawData(0, "pixelsum").Get(vals) // a second handle: the same node
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c.(*array.Dense[float32]).Data(), full.(*array.Dense[float32]).Data()) {
		t.Fatal("concatenated chunks differ from the merged raw data")
	}
}
