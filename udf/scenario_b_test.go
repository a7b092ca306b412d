package udf

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/dataset"
)

// dtypeUDF records the frame dtype in an object nav buffer and declares single
// buffers with the input and dataset dtypes.
type dtypeUDF struct {
	pref   array.DType
	native bool
}

func (u dtypeUDF) PreferredInputDType() array.DType {
	if u.native {
		return NativeDType
	}
	if u.pref.IsValid() {
		return u.pref
	}
	return array.Float32
}

func (dtypeUDF) ResultBuffers(m *Meta) []BufferSpec {
	return []BufferSpec{
		NavBuffer("dtype", array.Object),
		SingleBuffer("in", m.InputDType),
		SingleBuffer("native", m.DatasetDType),
	}
}

func (dtypeUDF) ProcessFrame(env *Env, frame array.Array) error {
	View[any](env, 0).Data()[0] = frame.DType()
	return nil
}

func (dtypeUDF) Merge(dest, src *Views, _ *Meta) error {
	return View[any](dest, 0).CopyFrom(View[any](src, 0))
}

func TestScenario09_DTypeMatrix(t *testing.T) {
	cases := []struct {
		name   string
		pref   array.DType
		native bool
		data   array.DType
		want   array.DType
	}{
		{"bool pref, uint16", array.Bool, false, array.Uint16, array.Uint16},
		{"default, bool", array.DType{}, false, array.Bool, array.Float32},
		{"default, complex64", array.DType{}, false, array.Complex64, array.Complex64},
		{"default, complex128", array.DType{}, false, array.Complex128, array.Complex128},
		{"int16, uint16", array.Int16, false, array.Uint16, array.Int32},
		{"native, int32", array.DType{}, true, array.Int32, array.Int32},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			data := array.New(c.data, 1, 1)
			ds := memDS(t, data, dataset.MemoryOptions{SigDims: 1, NumPartitions: 1})
			res := runOne(t, ds, dtypeUDF{pref: c.pref, native: c.native}, Options{})
			got := res.Get("dtype").RawData().(*array.Dense[any]).Data()[0]
			if got != c.want {
				t.Fatalf("frame dtype %v, want %v", got, c.want)
			}
			if dt := res.Get("in").DType(); dt != c.want {
				t.Fatalf("input-dtype buffer %v, want %v", dt, c.want)
			}
			if dt := res.Get("native").DType(); dt != c.data {
				t.Fatalf("dataset-dtype buffer %v, want %v", dt, c.data)
			}
		})
	}
}

// tileRecorder copies every tile into a dataset-sized sig-shaped reassembly and checks
// the meta invariants of the reference.
type tileRecorder struct {
	mu     *sync.Mutex
	depths map[int]bool
	boxes  map[string]bool
	out    *array.Dense[float32] // (frames,)+sig, no ROI
}

func (tileRecorder) ResultBuffers(*Meta) []BufferSpec {
	return []BufferSpec{SigBuffer("sum", array.Float32)}
}

func (u tileRecorder) ProcessTile(env *Env, tile array.Array) error {
	m := env.Meta
	ts := tile.Shape()
	if !slices.Equal(ts[1:], m.SigSlice.Shape.Dims()) {
		return fmt.Errorf("tile sig %v, sig slice %v", ts[1:], m.SigSlice.Shape)
	}
	if !m.Slice.Sig().Equal(m.SigSlice) || !m.TilingScheme[m.TilingSchemeIdx].Equal(m.SigSlice) {
		return fmt.Errorf("slice.sig %v, sig slice %v, scheme[%d] %v", m.Slice.Sig(), m.SigSlice, m.TilingSchemeIdx, m.TilingScheme[m.TilingSchemeIdx])
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	u.depths[ts[0]] = true
	u.boxes[fmt.Sprint(ts[1:])] = true
	rg := append([]array.Range{{Start: m.Slice.Origin[0], Stop: m.Slice.Origin[0] + ts[0]}}, m.Slice.SigRanges()...)
	if err := u.out.Slice(rg...).CopyFrom(tile.(*array.Dense[float32])); err != nil {
		return err
	}
	sum := F32(env, 0)
	tl := tile.(*array.Dense[float32])
	for d := 0; d < ts[0]; d++ {
		fr := tl.Row(d)
		fr.ForEach(func(idx []int, v float32) { sum.Set(sum.At(idx...)+v, idx...) })
	}
	return nil
}

func (tileRecorder) Merge(dest, src *Views, _ *Meta) error {
	d, s := F32(dest, 0).Data(), F32(src, 0).Data()
	for i := range d {
		d[i] += s[i]
	}
	return nil
}

func TestScenario10_TileShapes(t *testing.T) {
	cases := []struct {
		name   string
		shape  []int
		tile   []int
		depths []int
		boxes  []string
	}{
		{"depth 7", []int{16, 16, 16, 16}, []int{7, 16, 16}, []int{7, 2}, []string{"[16 16]"}},
		{"cropped boxes", []int{16, 16, 24, 24}, []int{7, 7, 7}, []int{7, 2}, []string{"[7 7]", "[7 3]", "[3 7]", "[3 3]"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			data := testData(c.shape...)
			frames := c.shape[0] * c.shape[1]
			u := tileRecorder{mu: &sync.Mutex{}, depths: map[int]bool{}, boxes: map[string]bool{},
				out: array.Zeros[float32](frames, c.shape[2], c.shape[3])}
			ds := memDS(t, data, dataset.MemoryOptions{NumPartitions: 2, TileShape: c.tile})
			res := runOne(t, ds, u, Options{})
			for _, d := range c.depths {
				if !u.depths[d] {
					t.Errorf("no tile of depth %d (saw %v)", d, u.depths)
				}
			}
			if len(u.depths) != len(c.depths) {
				t.Errorf("depths %v, want %v", u.depths, c.depths)
			}
			for _, b := range c.boxes {
				if !u.boxes[b] {
					t.Errorf("no box %s (saw %v)", b, u.boxes)
				}
			}
			if len(u.boxes) != len(c.boxes) {
				t.Errorf("boxes %v, want %v", u.boxes, c.boxes)
			}
			if !slices.Equal(u.out.Data(), data.Data()) {
				t.Fatal("reassembled tiles differ from the data")
			}
			want := navSums(data.Data(), c.shape[2]*c.shape[3], nil)
			for i, v := range f32data(t, res.Get("sum").Data()) {
				if !close32(v, want[i]) {
					t.Fatalf("sum[%d] = %v, want %v", i, v, want[i])
				}
			}
		})
	}
}

// partSum is a partition UDF: pixel sums, a touch counter, and coordinate checks.
type partSum struct{}

func (partSum) ResultBuffers(*Meta) []BufferSpec {
	return []BufferSpec{NavBuffer("pixelsum", array.Float32), NavBuffer("touched", array.Int32)}
}

func (partSum) ProcessPartition(env *Env, part array.Array) error {
	m := env.Meta
	ps, err := m.PartitionShape()
	if err != nil {
		return err
	}
	if !m.Slice.Shape.Equal(ps) || !slices.Equal(part.Shape(), ps.Dims()) {
		return fmt.Errorf("slice %v, partition shape %v, data %v", m.Slice.Shape, ps, part.Shape())
	}
	if c := m.Coordinates(); c.Shape()[0] != ps.Dim(0) {
		return fmt.Errorf("coordinates %v for %d frames", c.Shape(), ps.Dim(0))
	}
	p := part.(*array.Dense[float32])
	out, tc := F32(env, 0).Data(), View[int32](env, 1).Data()
	n := ps.Dim(0)
	sz := p.Size() / max(n, 1)
	for f := 0; f < n; f++ {
		var s float32
		for _, v := range p.Data()[f*sz : (f+1)*sz] {
			s += v
		}
		out[f] += s
		tc[f]++
	}
	return nil
}

func TestScenario11_PartitionUDF(t *testing.T) {
	data := testData(16, 16, 16, 16)
	for _, tile := range [][]int{nil, {36, 16, 16}} {
		t.Run(fmt.Sprint("tile ", tile), func(t *testing.T) {
			ds := memDS(t, data, dataset.MemoryOptions{NumPartitions: 7, TileShape: tile})
			for _, res := range runBoth(t, ds, partSum{}, Options{}) {
				checkPixelsum(t, res, data, 256, nil)
			}
		})
	}
	roi := randomROI(11, 16, 16)
	for _, tile := range [][]int{nil, {7, 16, 16}, {128, 16, 16}} {
		t.Run(fmt.Sprint("roi tile ", tile), func(t *testing.T) {
			ds := memDS(t, data, dataset.MemoryOptions{NumPartitions: 7, TileShape: tile})
			res := runOne(t, ds, partSum{}, Options{ROI: roi})
			checkPixelsum(t, res, data, 256, roiFlat(roi))
			for i, v := range res.Get("touched").RawData().(*array.Dense[int32]).Data() {
				if v != 1 {
					t.Fatalf("frame %d touched %d times", i, v)
				}
			}
		})
	}
}

// metaSliceUDF writes through meta.Slice into single buffers.
type metaSliceUDF struct{ method Method }

func (u metaSliceUDF) Method(*Meta) Method { return u.method }

func (metaSliceUDF) ResultBuffers(m *Meta) []BufferSpec {
	return []BufferSpec{
		SingleBuffer("pixelsum_nav_raw", array.Float64, m.NavCount()),
		SingleBuffer("pixelsum_sig_raw", array.Float64, m.DatasetShape.Sig()...),
		NavBuffer("nav", array.Float64),
		SigBuffer("sig", array.Float64),
	}
}

func (metaSliceUDF) TilingPreferences(m *Meta) TilingPrefs {
	return TilingPrefs{Depth: m.DatasetShape.Nav()[1] / 2}
}

func (metaSliceUDF) process(env *Env, data array.Array) error {
	m := env.Meta
	d := data.(*array.Dense[float32])
	nr := m.Slice.NavRanges()[0]
	sr := m.Slice.SigRanges()
	shape := d.Shape()
	n := nr.Len()
	if len(shape) == len(sr) { // a frame: add a leading axis
		var err error
		if d, err = d.Reshape(append([]int{1}, shape...)...); err != nil {
			return err
		}
	}
	navRaw := F64(env, 0)
	sigRaw := F64(env, 1).Slice(sr...)
	nav := F64(env, 2)
	sig := F64(env, 3)
	for f := 0; f < n; f++ {
		fr := d.Row(f)
		var s float64
		fr.ForEach(func(idx []int, v float32) {
			s += float64(v)
			sigRaw.Set(sigRaw.At(idx...)+float64(v), idx...)
			sig.Set(sig.At(idx...)+float64(v), idx...)
		})
		navRaw.Data()[nr.Start+f] += s
		nav.Data()[f] += s
	}
	return nil
}

func (u metaSliceUDF) ProcessTile(env *Env, t array.Array) error  { return u.process(env, t) }
func (u metaSliceUDF) ProcessFrame(env *Env, t array.Array) error { return u.process(env, t) }
func (u metaSliceUDF) ProcessPartition(env *Env, t array.Array) error {
	return u.process(env, t)
}

func (metaSliceUDF) Merge(dest, src *Views, _ *Meta) error {
	if err := F64(dest, 2).CopyFrom(F64(src, 2)); err != nil {
		return err
	}
	for _, j := range []int{0, 1, 3} {
		d, s := F64(dest, j).Data(), F64(src, j).Data()
		for i := range d {
			d[i] += s[i]
		}
	}
	return nil
}

func TestScenario12_MetaSliceSingleBuffers(t *testing.T) {
	data := testData(8, 8, 12, 10)
	for _, m := range []Method{MethodTile, MethodFrame, MethodPartition} {
		for _, roi := range []*array.Dense[bool]{nil, randomROI(12, 8, 8)} {
			t.Run(fmt.Sprintf("%v roi=%v", m, roi != nil), func(t *testing.T) {
				opts := dataset.MemoryOptions{NumPartitions: 3}
				if m == MethodTile {
					opts.TileShape = []int{3, 5, 10}
				}
				ds := memDS(t, data, opts)
				res := runOne(t, ds, metaSliceUDF{method: m}, Options{ROI: roi})
				rf := roiFlat(roi)
				fs := frameSums(data.Data(), 120)
				ns := navSums(data.Data(), 120, rf)
				var wantNav []float64
				for f, v := range fs {
					if rf == nil || rf[f] {
						wantNav = append(wantNav, v)
					}
				}
				navRaw := res.Get("pixelsum_nav_raw").Data().(*array.Dense[float64]).Data()
				nav := res.Get("nav").RawData().(*array.Dense[float64]).Data()
				for i, w := range wantNav {
					if abs(navRaw[i]-w) > 1e-9 || abs(nav[i]-w) > 1e-9 {
						t.Fatalf("nav sums [%d]: %v / %v, want %v", i, navRaw[i], nav[i], w)
					}
				}
				sigRaw := res.Get("pixelsum_sig_raw").Data().(*array.Dense[float64]).Data()
				sig := res.Get("sig").Data().(*array.Dense[float64]).Data()
				for i, w := range ns {
					if abs(sigRaw[i]-w) > 1e-9 || abs(sig[i]-w) > 1e-9 {
						t.Fatalf("sig sums [%d]: %v / %v, want %v", i, sigRaw[i], sig[i], w)
					}
				}
			})
		}
	}
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

// coordUDF records coordinates per frame and per unit.
type coordUDF struct {
	method Method
	mu     *sync.Mutex
	units  map[int][][]int64 // slice origin -> coordinates of the unit
	tdSum  *int
}

func (u coordUDF) Method(*Meta) Method { return u.method }

func (coordUDF) ResultBuffers(m *Meta) []BufferSpec {
	return []BufferSpec{NavBuffer("coords", array.Int64, m.DatasetShape.NavDims())}
}

func (u coordUDF) TaskData(env *Env) (any, error) {
	u.mu.Lock()
	*u.tdSum += env.Meta.Coordinates().Shape()[0]
	u.mu.Unlock()
	return nil, nil
}

func (u coordUDF) record(env *Env) error {
	c := env.Meta.Coordinates()
	n, nd := c.Shape()[0], c.Shape()[1]
	rows := make([][]int64, n)
	for i := range rows {
		rows[i] = slices.Clone(c.Data()[i*nd : (i+1)*nd])
	}
	u.mu.Lock()
	u.units[env.Meta.Slice.Origin[0]] = rows
	u.mu.Unlock()
	dst := View[int64](env, 0)
	copy(dst.Data(), c.Data())
	return nil
}

func (u coordUDF) ProcessTile(env *Env, _ array.Array) error      { return u.record(env) }
func (u coordUDF) ProcessFrame(env *Env, _ array.Array) error     { return u.record(env) }
func (u coordUDF) ProcessPartition(env *Env, _ array.Array) error { return u.record(env) }

func TestScenario13_Coordinates(t *testing.T) {
	data := testData(8, 8, 8, 8)
	row := func(y int, xs ...int) [][]int64 {
		var out [][]int64
		for _, x := range xs {
			out = append(out, []int64{int64(y), int64(x)})
		}
		return out
	}
	corners := array.Zeros[bool](8, 8)
	for _, c := range [][2]int{{0, 0}, {0, 7}, {7, 0}, {7, 7}} {
		corners.Set(true, c[0], c[1])
	}
	cases := []struct {
		name   string
		method Method
		opts   dataset.MemoryOptions
		roi    *array.Dense[bool]
		want   map[int][][]int64 // checked origins
		units  int               // expected number of units (-1: skip)
	}{
		{"partition", MethodPartition, dataset.MemoryOptions{NumPartitions: 2}, nil,
			map[int][][]int64{0: append(append(append(row(0, 0, 1, 2, 3, 4, 5, 6, 7), row(1, 0, 1, 2, 3, 4, 5, 6, 7)...), row(2, 0, 1, 2, 3, 4, 5, 6, 7)...), row(3, 0, 1, 2, 3, 4, 5, 6, 7)...)}, 2},
		{"tiles of 4", MethodTile, dataset.MemoryOptions{NumPartitions: 2, TileShape: []int{4, 8, 8}}, nil,
			map[int][][]int64{0: row(0, 0, 1, 2, 3), 32: row(4, 0, 1, 2, 3), 60: row(7, 4, 5, 6, 7)}, 16},
		{"sync +62", MethodTile, dataset.MemoryOptions{NumPartitions: 2, TileShape: []int{4, 8, 8}, SyncOffset: 62}, nil,
			map[int][][]int64{0: row(0, 0, 1)}, 1},
		{"sync +62 frames", MethodFrame, dataset.MemoryOptions{NumPartitions: 2, TileShape: []int{4, 8, 8}, SyncOffset: 62}, nil,
			map[int][][]int64{0: row(0, 0), 1: row(0, 1)}, 2},
		{"sync -62", MethodTile, dataset.MemoryOptions{NumPartitions: 2, TileShape: []int{4, 8, 8}, SyncOffset: -62}, nil,
			map[int][][]int64{62: row(7, 6, 7)}, 1},
		{"roi corners", MethodTile, dataset.MemoryOptions{NumPartitions: 2, TileShape: []int{4, 8, 8}}, corners,
			map[int][][]int64{0: row(0, 0, 7), 2: row(7, 0, 7)}, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			td := 0
			u := coordUDF{method: c.method, mu: &sync.Mutex{}, units: map[int][][]int64{}, tdSum: &td}
			ds := memDS(t, data, c.opts)
			res := runOne(t, ds, u, Options{ROI: c.roi})
			for o, want := range c.want {
				if got := u.units[o]; !slices.EqualFunc(got, want, slices.Equal) {
					t.Errorf("origin %d: coordinates %v, want %v", o, got, want)
				}
			}
			if c.units >= 0 && len(u.units) != c.units {
				t.Errorf("%d units, want %d: %v", len(u.units), c.units, u.units)
			}
			if c.roi != nil {
				if td != count(roiFlat(c.roi)) {
					t.Errorf("Σ task data coordinates %d, want %d", td, count(roiFlat(c.roi)))
				}
				raw := res.Get("coords").RawData().(*array.Dense[int64]).Data()
				if !slices.Equal(raw, []int64{0, 0, 0, 7, 7, 0, 7, 7}) {
					t.Errorf("coords raw %v", raw)
				}
			}
		})
	}
}

// auxEcho echoes aux data in Preprocess, processing and Postprocess.
type auxEcho struct {
	aux    *AuxData // (nav, extra (2,))
	aux2   *AuxData // (nav,)
	method Method
}

func (u auxEcho) AuxData() []*AuxData { return []*AuxData{u.aux, u.aux2} }
func (u auxEcho) Method(*Meta) Method { return u.method }

func (auxEcho) ResultBuffers(*Meta) []BufferSpec {
	return []BufferSpec{
		NavBuffer("echo_pre", array.Float32, 2),
		NavBuffer("echo", array.Float32, 2),
		NavBuffer("echo_post", array.Float32, 2),
		NavBuffer("echo2", array.Float32),
		NavBuffer("weighted", array.Float32),
	}
}

func (u auxEcho) Preprocess(env *Env) error {
	return F32(env, 0).CopyFrom(AuxView[float32](env, u.aux))
}

func (u auxEcho) Postprocess(env *Env) error {
	return F32(env, 2).CopyFrom(AuxView[float32](env, u.aux))
}

func (u auxEcho) process(env *Env, data array.Array) error {
	a := AuxView[float32](env, u.aux)
	a2 := AuxView[float32](env, u.aux2)
	if err := F32(env, 1).CopyFrom(a); err != nil {
		return err
	}
	if err := F32(env, 3).CopyFrom(a2); err != nil {
		return err
	}
	d := data.(*array.Dense[float32])
	w := F32(env, 4).Data()
	n := len(w)
	per := d.Size() / n
	for f := 0; f < n; f++ {
		var s float32
		for _, v := range d.Data()[f*per : (f+1)*per] {
			s += v
		}
		w[f] += s * a.Data()[2*f]
	}
	return nil
}

func (u auxEcho) ProcessFrame(env *Env, d array.Array) error {
	if got := AuxView[float32](env, u.aux).Shape(); !slices.Equal(got, []int{2}) {
		return fmt.Errorf("frame aux view %v, want (2,)", got)
	}
	if got := AuxView[float32](env, u.aux2).Shape(); !slices.Equal(got, []int{1}) {
		return fmt.Errorf("frame aux2 view %v, want (1,)", got)
	}
	return u.process(env, d)
}
func (u auxEcho) ProcessTile(env *Env, d array.Array) error {
	if env.Meta.TilingSchemeIdx != 0 || len(env.Meta.TilingScheme) != 1 {
		return fmt.Errorf("tiled aux test expects whole frames")
	}
	return u.process(env, d)
}
func (u auxEcho) ProcessPartition(env *Env, d array.Array) error { return u.process(env, d) }

func TestScenario14_AuxData(t *testing.T) {
	type setup struct {
		shape []int
		parts int
		tile  []int
	}
	setups := []setup{
		{[]int{2, 2, 16, 16}, 2, nil}, {[]int{2, 2, 16, 16}, 4, nil},
		{[]int{1, 5, 16, 16}, 2, []int{2, 16, 16}}, {[]int{1, 5, 16, 16}, 2, []int{1, 16, 16}},
	}
	for _, s := range setups {
		for _, m := range []Method{MethodTile, MethodFrame, MethodPartition} {
			for _, withROI := range []bool{false, true} {
				t.Run(fmt.Sprintf("%v/%v/%d/%v/roi=%v", s.shape, s.tile, s.parts, m, withROI), func(t *testing.T) {
					data := testData(s.shape...)
					nav := s.shape[0] * s.shape[1]
					auxArr := array.Zeros[float32](s.shape[0], s.shape[1], 2)
					for i := range auxArr.Data() {
						auxArr.Data()[i] = float32(i) + 0.5
					}
					aux2Arr := array.Zeros[float32](s.shape[0], s.shape[1])
					for i := range aux2Arr.Data() {
						aux2Arr.Data()[i] = float32(100 + i)
					}
					a, err := NewAuxData("aux", auxArr, 2)
					if err != nil {
						t.Fatal(err)
					}
					a2, err := NewAuxData("aux2", aux2Arr)
					if err != nil {
						t.Fatal(err)
					}
					var roi *array.Dense[bool]
					if withROI {
						roi = array.Zeros[bool](s.shape[0], s.shape[1])
						for i := 0; i < nav; i += 2 {
							roi.Data()[i] = true
						}
					}
					ds := memDS(t, data, dataset.MemoryOptions{NumPartitions: s.parts, TileShape: s.tile})
					res := runOne(t, ds, auxEcho{aux: a, aux2: a2, method: m}, Options{ROI: roi})
					rf := roiFlat(roi)
					fs := frameSums(data.Data(), 256)
					j := 0
					for f := 0; f < nav; f++ {
						if rf != nil && !rf[f] {
							continue
						}
						for _, name := range []string{"echo_pre", "echo", "echo_post"} {
							raw := f32data(t, res.Get(name).RawData())
							if raw[2*j] != auxArr.Data()[2*f] || raw[2*j+1] != auxArr.Data()[2*f+1] {
								t.Fatalf("%s row %d = %v, want %v", name, j, raw[2*j:2*j+2], auxArr.Data()[2*f:2*f+2])
							}
						}
						if e2 := f32data(t, res.Get("echo2").RawData())[j]; e2 != aux2Arr.Data()[f] {
							t.Fatalf("echo2 row %d = %v, want %v", j, e2, aux2Arr.Data()[f])
						}
						w := f32data(t, res.Get("weighted").RawData())[j]
						if !close32(w, fs[f]*float64(auxArr.Data()[2*f])) {
							t.Fatalf("weighted row %d = %v, want %v", j, w, fs[f]*float64(auxArr.Data()[2*f]))
						}
						j++
					}
				})
			}
		}
	}
}

var _ = context.Background
