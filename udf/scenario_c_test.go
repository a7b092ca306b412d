package udf

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/dataset"
)

// AverageUDF is the seed's example: sum (sig), num_frames (single uint64) and a
// result-only average.
type averageUDF struct{}

func (averageUDF) ResultBuffers(*Meta) []BufferSpec {
	return []BufferSpec{
		SigBuffer("sum", array.Float32),
		SingleBuffer("num_frames", array.Uint64),
		SigBuffer("average", array.Float32).ResultOnly(),
	}
}

func (averageUDF) ProcessFrame(env *Env, frame array.Array) error {
	if env.At(2) != nil {
		return errors.New("result-only view is not nil in ProcessFrame")
	}
	s := F32(env, 0).Data()
	for i, v := range frame.(*array.Dense[float32]).Data() {
		s[i] += v
	}
	View[uint64](env, 1).Data()[0]++
	return nil
}

func (averageUDF) Merge(dest, src *Views, _ *Meta) error {
	if dest.Has("average") || src.Has("average") || !slices.Equal(dest.Names(), []string{"sum", "num_frames"}) {
		return fmt.Errorf("merge views %v / %v", dest.Names(), src.Names())
	}
	d, s := F32(dest, 0).Data(), F32(src, 0).Data()
	for i := range d {
		d[i] += s[i]
	}
	View[uint64](dest, 1).Data()[0] += View[uint64](src, 1).Data()[0]
	return nil
}

func (averageUDF) Results(env *Env) (map[string]array.Array, error) {
	sum := F32(env, 0)
	n := float32(View[uint64](env, 1).Data()[0])
	avg := array.Zeros[float32](sum.Shape()...)
	for i, v := range sum.Data() {
		avg.Data()[i] = v / n
	}
	return map[string]array.Array{"average": avg}, nil
}

// ruleUDF exercises the declaration rules through its Results function.
type ruleUDF struct {
	results func(env *Env) (map[string]array.Array, error)
}

func (ruleUDF) ResultBuffers(*Meta) []BufferSpec {
	return []BufferSpec{
		NavBuffer("sum", array.Float32),
		NavBuffer("priv", array.Float32).Private(),
		NavBuffer("sum_half", array.Float32).ResultOnly(),
	}
}

func (ruleUDF) ProcessFrame(env *Env, frame array.Array) error {
	var s float32
	for _, v := range frame.(*array.Dense[float32]).Data() {
		s += v
	}
	F32(env, 0).Data()[0] = s
	F32(env, 1).Data()[0] = 2 * s
	return nil
}

func (u ruleUDF) Results(env *Env) (map[string]array.Array, error) {
	if u.results == nil {
		return nil, nil
	}
	return u.results(env)
}

// noResults has a result-only buffer but no Results.
type noResults struct{}

func (noResults) ResultBuffers(*Meta) []BufferSpec {
	return []BufferSpec{NavBuffer("sum", array.Float32), NavBuffer("x", array.Float32).ResultOnly()}
}
func (noResults) ProcessFrame(*Env, array.Array) error { return nil }

// privDefault has a private buffer and default Results.
type privDefault struct{}

func (privDefault) ResultBuffers(*Meta) []BufferSpec {
	return []BufferSpec{NavBuffer("sum", array.Float32), NavBuffer("priv", array.Float32).Private()}
}
func (privDefault) ProcessFrame(*Env, array.Array) error { return nil }

func TestScenario15_BufferDeclarationRules(t *testing.T) {
	data := testData(8, 8, 16, 16)
	ds := memDS(t, data, dataset.MemoryOptions{NumPartitions: 2})
	ctx := context.Background()
	roi := randomROI(15, 8, 8)
	half := func(env *Env) (map[string]array.Array, error) {
		s := F32(env, 0)
		h := array.Zeros[float32](s.Shape()...)
		for i, v := range s.Data() {
			h.Data()[i] = v / 2
		}
		return map[string]array.Array{"sum_half": h}, nil
	}
	errCases := []struct {
		name string
		u    UDF
		want error
	}{
		{"undeclared", ruleUDF{results: func(*Env) (map[string]array.Array, error) {
			return map[string]array.Array{"nope": array.Zeros[float32](64)}, nil
		}}, ErrUndeclaredBuffer},
		{"private returned", ruleUDF{results: func(env *Env) (map[string]array.Array, error) {
			m, _ := half(env)
			m["priv"] = env.At(1)
			return m, nil
		}}, ErrPrivateResult},
		{"kind mismatch", ruleUDF{results: func(env *Env) (map[string]array.Array, error) {
			return map[string]array.Array{"sum_half": array.Zeros[int32](64)}, nil
		}}, ErrResultKind},
		{"result_only without Results", noResults{}, ErrResultOnlyNotSet},
		{"result_only omitted by Results", ruleUDF{results: func(*Env) (map[string]array.Array, error) {
			return map[string]array.Array{}, nil
		}}, ErrResultOnlyNotSet},
	}
	for _, c := range errCases {
		t.Run(c.name, func(t *testing.T) {
			_, err := RunOne(ctx, ds, c.u, Options{})
			if !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
		})
	}
	t.Run("private dropped", func(t *testing.T) {
		res := runOne(t, ds, privDefault{}, Options{})
		if !slices.Equal(res.Names(), []string{"sum"}) {
			t.Fatalf("names %v, want [sum]", res.Names())
		}
		res = runOne(t, ds, ruleUDF{results: half}, Options{})
		if !slices.Equal(res.Names(), []string{"sum_half", "sum"}) {
			t.Fatalf("names %v, want [sum_half sum]", res.Names())
		}
	})
	t.Run("average", func(t *testing.T) {
		for _, r := range []*array.Dense[bool]{nil, roi} {
			res := runOne(t, ds, averageUDF{}, Options{ROI: r})
			rf := roiFlat(r)
			n := 64
			if rf != nil {
				n = count(rf)
			}
			sums := navSums(data.Data(), 256, rf)
			avg := res.Get("average")
			if avg.DType().Kind() != array.KindFloat {
				t.Fatalf("average dtype %v", avg.DType())
			}
			for i, v := range f32data(t, avg.Data()) {
				if !close32(v, sums[i]/float64(n)) {
					t.Fatalf("average[%d] = %v, want %v", i, v, sums[i]/float64(n))
				}
			}
			if got := res.Get("num_frames").Data().(*array.Dense[uint64]).Data()[0]; got != uint64(n) {
				t.Fatalf("num_frames %d, want %d", got, n)
			}
		}
	})
	t.Run("nav result_only", func(t *testing.T) {
		res := runOne(t, ds, ruleUDF{results: half}, Options{ROI: roi})
		sum := f32data(t, res.Get("sum").Data())
		sh := f32data(t, res.Get("sum_half").Data())
		for i := range sum {
			if math.IsNaN(float64(sum[i])) != math.IsNaN(float64(sh[i])) || (!math.IsNaN(float64(sum[i])) && sh[i] != sum[i]/2) {
				t.Fatalf("sum_half[%d] = %v, sum %v", i, sh[i], sum[i])
			}
		}
		rs, rh := f32data(t, res.Get("sum").RawData()), f32data(t, res.Get("sum_half").RawData())
		for i := range rs {
			if rh[i] != rs[i]/2 {
				t.Fatalf("raw sum_half[%d] = %v, sum %v", i, rh[i], rs[i])
			}
		}
	})
	t.Run("nav-shaped result with ROI", func(t *testing.T) {
		rf := roiFlat(roi)
		u := ruleUDF{results: func(env *Env) (map[string]array.Array, error) {
			full := array.Zeros[float32](8, 8)
			s := F32(env, 0).Data()
			j := 0
			for i, v := range rf {
				if v {
					full.Data()[i] = s[j] / 2
					j++
				}
			}
			return map[string]array.Array{"sum_half": full}, nil
		}}
		res := runOne(t, ds, u, Options{ROI: roi})
		d := f32data(t, res.Get("sum_half").Data())
		for i, v := range rf {
			if !v && d[i] != 0 {
				t.Fatalf("data[%d] = %v outside the ROI, want 0 (returned unchanged)", i, d[i])
			}
		}
	})
}

func TestScenario19_AutoUDFMap(t *testing.T) {
	data := testData(16, 8, 32, 64)
	ds := memDS(t, data, dataset.MemoryOptions{NumPartitions: 2, TileShape: []int{8, 32, 64}})
	ctx := context.Background()
	sumLast := func(frame array.Array) (any, error) {
		f := frame.(*array.Dense[float32])
		out := array.Zeros[float32](32)
		for y := 0; y < 32; y++ {
			for x := 0; x < 64; x++ {
				out.Data()[y] += f.At(y, x)
			}
		}
		return out, nil
	}
	buf, err := Map(ctx, ds, sumLast, Options{})
	if err != nil {
		t.Fatal(err)
	}
	d := f32data(t, buf.Data())
	if !slices.Equal(buf.Data().Shape(), []int{16, 8, 32}) {
		t.Fatalf("shape %v", buf.Data().Shape())
	}
	for i := 0; i < 16*8*32; i++ {
		var s float64
		for x := 0; x < 64; x++ {
			s += float64(data.Data()[i*64+x])
		}
		if !close32(d[i], s) {
			t.Fatalf("[%d] = %v, want %v", i, d[i], s)
		}
	}
	t.Run("object values", func(t *testing.T) {
		type thing struct{ A int }
		buf, err := Map(ctx, ds, func(array.Array) (any, error) {
			return []any{"a string", map[string]int{"k": 1}, func() {}, thing{3}}, nil
		}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		obj := buf.RawData().(*array.Dense[any])
		if !slices.Equal(obj.Shape(), []int{128, 4}) || obj.At(5, 0) != "a string" || obj.At(7, 3) != (thing{3}) {
			t.Fatalf("object result %v %v", obj.Shape(), obj.Data()[:4])
		}
	})
	t.Run("monitor", func(t *testing.T) {
		ds := memDS(t, data, dataset.MemoryOptions{NumPartitions: 4, TileShape: []int{8, 32, 64}})
		n := 0
		for s, err := range RunIter(ctx, ds, []UDF{AutoUDF{F: sumLast, Monitor: true}}, Options{}) {
			if err != nil {
				t.Fatal(err)
			}
			rs, err := s.Results()
			if err != nil {
				t.Fatal(err)
			}
			dmg := s.Damage()
			last := 0
			for i, v := range dmg {
				if v {
					last = i
				}
			}
			raw := f32data(t, rs[0].Get("result").RawData())
			mon := f32data(t, rs[0].Get("monitor").Data())
			if !slices.Equal(mon, raw[last*32:(last+1)*32]) {
				t.Fatalf("iteration %d: monitor differs from result row %d", n, last)
			}
			n++
		}
		if n != 4 {
			t.Fatalf("%d iterations, want 4", n)
		}
	})
}

// validUDF checks valid nav masks in every phase and returns masked buffers.
type validUDF struct {
	mu     *sync.Mutex
	merges *[]int // number of valid positions seen in each Merge
}

func (validUDF) ResultBuffers(*Meta) []BufferSpec {
	return []BufferSpec{
		NavBuffer("nav", array.Float32),
		NavBuffer("navx", array.Float32, 3),
		SingleBuffer("all", array.Float32, 64, 64).ResultOnly(),
		SingleBuffer("none", array.Float32, 64, 64).ResultOnly(),
		SingleBuffer("custom", array.Float32, 64, 64).ResultOnly(),
		NavBuffer("vlen", array.Int64).ResultOnly(),
	}
}

func (validUDF) ProcessFrame(env *Env, _ array.Array) error {
	if env.Meta.ValidNavMask(false) != nil {
		return errors.New("valid nav mask not nil in ProcessFrame")
	}
	return nil
}

func (u validUDF) Merge(dest, src *Views, m *Meta) error {
	v := m.ValidNavMask(false)
	if v == nil {
		return errors.New("valid nav mask nil in Merge")
	}
	u.mu.Lock()
	*u.merges = append(*u.merges, count(v))
	u.mu.Unlock()
	if err := F32(dest, 0).CopyFrom(F32(src, 0)); err != nil {
		return err
	}
	return F32(dest, 1).CopyFrom(F32(src, 1))
}

func (validUDF) Results(env *Env) (map[string]array.Array, error) {
	v := env.Meta.ValidNavMask(false)
	full := env.Meta.ValidNavMask(true)
	vl := array.Zeros[int64](env.At(0).Shape()[0])
	for i := range vl.Data() {
		vl.Data()[i] = int64(len(v))*1000 + int64(len(full))
	}
	custom := array.Zeros[bool](64, 64)
	for y := 0; y < 64; y++ {
		for x := 32; x < 64; x++ {
			custom.Set(true, y, x)
		}
	}
	return map[string]array.Array{
		"all":    WithValid(array.Zeros[float32](64, 64), true),
		"none":   WithValid(array.Zeros[float32](64, 64), false),
		"custom": WithMask(array.Zeros[float32](64, 64), custom),
		"vlen":   vl,
	}, nil
}

func TestScenario21_ValidMasksAndDamage(t *testing.T) {
	ds := memDS(t, array.Zeros[float32](16, 16, 32, 32), dataset.MemoryOptions{NumPartitions: 4})
	roi := randomROI(21, 16, 16)
	rf := roiFlat(roi)
	R := count(rf)
	var merges []int
	u := validUDF{mu: &sync.Mutex{}, merges: &merges}
	iters := 0
	var last *Snapshot
	for s, err := range RunIter(context.Background(), ds, []UDF{u}, Options{ROI: roi}) {
		if err != nil {
			t.Fatal(err)
		}
		rs, err := s.Results()
		if err != nil {
			t.Fatal(err)
		}
		res := rs[0]
		dmg := s.Damage()
		if len(dmg) != R || count(dmg) == 0 {
			t.Fatalf("damage len %d count %d", len(dmg), count(dmg))
		}
		if got := res.Get("vlen").RawData().(*array.Dense[int64]).Data()[0]; got != int64(R)*1000+256 {
			t.Fatalf("valid nav mask lengths %d, want %d/%d", got, R, 256)
		}
		nav := res.Get("nav")
		full := s.DamageFull()
		if db := s.DamageBuffer().Data().(*array.Dense[bool]); !slices.Equal(db.Data(), full) || !slices.Equal(db.Shape(), []int{16, 16}) {
			t.Fatalf("damage buffer %v differs from DamageFull", db.Shape())
		}
		for i, v := range nav.ValidMask().Data() {
			if v != full[i] {
				t.Fatalf("nav valid mask [%d] = %v, damage %v", i, v, full[i])
			}
		}
		nx := res.Get("navx").ValidMask()
		if !slices.Equal(nx.Shape(), []int{16, 16, 3}) {
			t.Fatalf("navx mask shape %v", nx.Shape())
		}
		for i := 0; i < 256; i++ {
			for e := 0; e < 3; e++ {
				if nx.Data()[i*3+e] != full[i] {
					t.Fatalf("navx mask [%d,%d] = %v, want %v", i, e, nx.Data()[i*3+e], full[i])
				}
			}
		}
		iters++
		last = s
	}
	if iters != 4 || count(last.Damage()) != R {
		t.Fatalf("%d iterations, final damage %d/%d", iters, count(last.Damage()), R)
	}
	if !slices.Equal(merges[:1], []int{0}) || merges[1] == 0 || merges[3] == R {
		t.Fatalf("valid counts in Merge %v (must exclude the partition being merged)", merges)
	}
	res := runOne(t, ds, u, Options{ROI: roi})
	for name, want := range map[string]int{"all": 64 * 64, "none": 0, "custom": 64 * 32} {
		if got := count(res.Get(name).ValidMask().Data()); got != want {
			t.Errorf("%s: %d valid, want %d", name, got, want)
		}
	}
	box, ok := res.Get("custom").ValidSliceBounding()
	if !ok || !slices.Equal(box, []array.Range{{Start: 0, Stop: 64}, {Start: 32, Stop: 64}}) {
		t.Errorf("bounding slice %v", box)
	}
	if r, ok := res.Get("custom").ValidSliceInner(1); !ok || r != (array.Range{Start: 32, Stop: 64}) {
		t.Errorf("inner slice %v", r)
	}
	_, masked := res.Get("custom").MaskedData()
	if count(masked.Data()) != 64*32 {
		t.Errorf("masked count %d", count(masked.Data()))
	}
}

func TestMaskBroadcastTable(t *testing.T) {
	valid := [][]int{{}, {1}, {1, 1}, {1, 1, 1}, {64, 64, 1}, {64, 64, 3}}
	invalid := [][]int{{32, 32}, {1, 32}, {64, 64}, {64, 64, 4}, {1, 1, 4}, {1, 1, 1, 1}}
	for _, s := range valid {
		if _, err := broadcastBool(array.Zeros[bool](s...), []int{64, 64, 3}); err != nil {
			t.Errorf("%v: %v", s, err)
		}
	}
	for _, s := range invalid {
		if _, err := broadcastBool(array.Zeros[bool](s...), []int{64, 64, 3}); !errors.Is(err, ErrInvalidMask) {
			t.Errorf("%v: err %v, want ErrInvalidMask", s, err)
		}
	}
	if _, err := broadcastBool(array.Zeros[int32](1), []int{64, 64, 3}); !errors.Is(err, ErrInvalidMask) {
		t.Errorf("non-bool mask: err %v", err)
	}
	// values broadcast: a (2,1) column mask over (2,3)
	m, err := broadcastBool(array.Wrap([]bool{true, false}, 2, 1), []int{2, 3})
	if err != nil || !slices.Equal(m.Data(), []bool{true, true, true, false, false, false}) {
		t.Errorf("broadcast values %v %v", m.Data(), err)
	}
}

// sumAllOnly has a sig buffer and only MergeAll.
type sumAllOnly struct{ extraKey bool }

func (sumAllOnly) ResultBuffers(*Meta) []BufferSpec {
	return []BufferSpec{SigBuffer("intensity", array.Float32)}
}
func (sumAllOnly) ProcessTile(env *Env, tile array.Array) error {
	t := tile.(*array.Dense[float32])
	out := F32(env, 0)
	n := t.Shape()[0]
	for d := 0; d < n; d++ {
		row := t.Row(d)
		row.ForEach(func(idx []int, v float32) { out.Set(out.At(idx...)+v, idx...) })
	}
	return nil
}
func (u sumAllOnly) MergeAll(parts []Partial, _ *Meta) (map[string]array.Array, error) {
	var out *array.Dense[float32]
	for _, p := range parts {
		s := F32(p.Buffers, 0)
		if out == nil {
			out = array.Zeros[float32](s.Shape()...)
		}
		for i, v := range s.Data() {
			out.Data()[i] += v
		}
	}
	m := map[string]array.Array{"intensity": out}
	if u.extraKey {
		m["extra"] = out
	}
	return m, nil
}

func TestScenario23_DelayedSpecifics(t *testing.T) {
	data := testData(16, 8, 32, 64)
	ds := memDS(t, data, dataset.MemoryOptions{NumPartitions: 4, TileShape: []int{8, 32, 64}})
	ctx := context.Background()
	l, err := RunLazy(ds, []UDF{pixelSumFrame{}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if ch := l.Chunks(0, "pixelsum"); len(ch) != 4 {
		t.Fatalf("%d chunks, want 4", len(ch))
	}
	eager := runOne(t, ds, pixelSumFrame{}, Options{})
	var last []*Result
	for s, err := range RunIter(ctx, ds, []UDF{pixelSumFrame{}}, Options{}) {
		if err != nil {
			t.Fatal(err)
		}
		if last, err = s.Results(); err != nil {
			t.Fatal(err)
		}
	}
	if !slices.Equal(f32data(t, eager.Get("pixelsum").RawData()), f32data(t, last[0].Get("pixelsum").RawData())) {
		t.Fatal("RunIter's final result differs from Run's")
	}
	// MergeAll-only works eagerly too (deliberate deviation) and lazily.
	for _, res := range runBoth(t, ds, sumAllOnly{}, Options{}) {
		want := navSums(data.Data(), 32*64, nil)
		for i, v := range f32data(t, res.Get("intensity").Data()) {
			if !close32(v, want[i]) {
				t.Fatalf("intensity[%d] = %v, want %v", i, v, want[i])
			}
		}
	}
	if _, err := RunOne(ctx, ds, sumAllOnly{extraKey: true}, Options{}); !errors.Is(err, ErrUndeclaredBuffer) {
		t.Fatalf("extra key: err = %v, want ErrUndeclaredBuffer", err)
	}
	t.Run("merge_all shows zeros until complete", func(t *testing.T) {
		n := 0
		for s, err := range RunIter(ctx, ds, []UDF{sumAllOnly{}}, Options{}) {
			if err != nil {
				t.Fatal(err)
			}
			rs, _ := s.Results()
			d := f32data(t, rs[0].Get("intensity").Data())
			allZero := !slices.ContainsFunc(d, func(v float32) bool { return v != 0 })
			if (s.Done() < s.Total()) != allZero {
				t.Fatalf("iteration %d/%d: all zero = %v", s.Done(), s.Total(), allZero)
			}
			n++
		}
		if n != 4 {
			t.Fatalf("%d iterations", n)
		}
	})
}

// checksumUDF implements one of three methods.
type checksumUDF struct{ method Method }

func (u checksumUDF) Method(*Meta) Method { return u.method }
func (checksumUDF) ResultBuffers(*Meta) []BufferSpec {
	return []BufferSpec{NavBuffer("checksum", array.Float32)}
}
func (checksumUDF) add(env *Env, d array.Array) error {
	m := env.Meta
	if m.Slice.Shape.Dim(0) != F32(env, 0).Shape()[0] && F32(env, 0).Size() != 1 {
		return fmt.Errorf("slice %v vs view %v", m.Slice, F32(env, 0).Shape())
	}
	t := d.(*array.Dense[float32])
	ts := t.Shape()
	if len(ts) == 2 {
		var err error
		if t, err = t.Reshape(append([]int{1}, ts...)...); err != nil {
			return err
		}
	}
	out := F32(env, 0).Data()
	for f := 0; f < t.Shape()[0]; f++ {
		var s float32
		t.Row(f).ForEach(func(_ []int, v float32) { s += v })
		out[f] += s
	}
	return nil
}
func (u checksumUDF) ProcessTile(env *Env, d array.Array) error      { return u.add(env, d) }
func (u checksumUDF) ProcessFrame(env *Env, d array.Array) error     { return u.add(env, d) }
func (u checksumUDF) ProcessPartition(env *Env, d array.Array) error { return u.add(env, d) }

func TestScenario25_SigSliceMetaConsistency(t *testing.T) {
	data := testData(30, 3, 7)
	cases := []struct {
		method Method
		tile   []int
		ok     bool
	}{
		{MethodFrame, []int{3, 3, 7}, true},
		{MethodFrame, []int{3, 3, 5}, false},
		{MethodPartition, []int{3, 3, 7}, true},
		{MethodPartition, []int{15, 3, 7}, true},
		{MethodTile, []int{3, 2, 2}, true},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%v %v", c.method, c.tile), func(t *testing.T) {
			ds := memDS(t, data, dataset.MemoryOptions{SigDims: 2, NumPartitions: 2, TileShape: c.tile})
			res, err := RunOne(context.Background(), ds, checksumUDF{method: c.method}, Options{})
			if !c.ok {
				if !errors.Is(err, ErrSigSlice) {
					t.Fatalf("err = %v, want ErrSigSlice", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := frameSums(data.Data(), 21)
			for i, v := range f32data(t, res.Get("checksum").RawData()) {
				if !close32(v, want[i]) {
					t.Fatalf("checksum[%d] = %v, want %v", i, v, want[i])
				}
			}
		})
	}
}

// flatSigWriter writes 1 into an int sig buffer through a flattened view.
type flatSigWriter struct{}

func (flatSigWriter) ResultBuffers(*Meta) []BufferSpec {
	return []BufferSpec{SigBuffer("ones", array.Int32).OnDevice()}
}
func (flatSigWriter) ProcessTile(env *Env, _ array.Array) error {
	v := View[int32](env, 0)
	flat, err := v.Reshape(-1)
	if err != nil {
		return err
	}
	flat.Fill(1)
	return nil
}
func (flatSigWriter) Merge(dest, src *Views, _ *Meta) error {
	d, s := View[int32](dest, 0).Data(), View[int32](src, 0).Data()
	for i := range d {
		d[i] = max(d[i], s[i])
	}
	return nil
}

func TestScenario26_ContiguousSigViews(t *testing.T) {
	ds := memDS(t, testData(30, 3, 7), dataset.MemoryOptions{NumPartitions: 2, TileShape: []int{3, 2, 2}})
	res := runOne(t, ds, flatSigWriter{}, Options{})
	for i, v := range res.Get("ones").Data().(*array.Dense[int32]).Data() {
		if v != 1 {
			t.Fatalf("ones[%d] = %d, want 1", i, v)
		}
	}
}

// allMethods implements all three methods; Method picks one by parameter.
type allMethods struct{ pick Method }

func (u allMethods) Method(*Meta) Method { return u.pick }
func (allMethods) ResultBuffers(*Meta) []BufferSpec {
	return []BufferSpec{NavBuffer("v", array.Float32)}
}
func (allMethods) ProcessTile(env *Env, _ array.Array) error {
	F32(env, 0).Fill(42)
	return nil
}
func (allMethods) ProcessFrame(env *Env, _ array.Array) error {
	F32(env, 0).Fill(53)
	return nil
}
func (allMethods) ProcessPartition(env *Env, _ array.Array) error {
	F32(env, 0).Fill(64)
	return nil
}

type frameOnlyChooser struct{ pick Method }

func (u frameOnlyChooser) Method(*Meta) Method { return u.pick }
func (frameOnlyChooser) ResultBuffers(*Meta) []BufferSpec {
	return nil
}
func (frameOnlyChooser) ProcessFrame(*Env, array.Array) error { return nil }

type noMethod struct{}

func (noMethod) ResultBuffers(*Meta) []BufferSpec { return nil }

func TestScenario27_MethodOverride(t *testing.T) {
	ds := memDS(t, testData(4, 4, 8, 8), dataset.MemoryOptions{NumPartitions: 2})
	for m, want := range map[Method]float32{MethodTile: 42, MethodFrame: 53, MethodPartition: 64} {
		res := runOne(t, ds, allMethods{pick: m}, Options{})
		for _, v := range f32data(t, res.Get("v").RawData()) {
			if v != want {
				t.Fatalf("%v: %v, want %v", m, v, want)
			}
		}
	}
	ctx := context.Background()
	for _, u := range []UDF{frameOnlyChooser{pick: MethodTile}, allMethods{pick: Method(9)}} {
		if _, err := RunOne(ctx, ds, u, Options{}); !errors.Is(err, ErrInvalidMethod) {
			t.Errorf("%T: err = %v, want ErrInvalidMethod", u, err)
		}
	}
	if _, err := RunOne(ctx, ds, noMethod{}, Options{}); !errors.Is(err, ErrNoProcessMethod) {
		t.Errorf("err = %v, want ErrNoProcessMethod", err)
	}
}

// countingResults counts Results calls.
type countingResults struct {
	pixelSumFrame
	calls *atomic.Int32
}

func (u countingResults) Results(env *Env) (map[string]array.Array, error) {
	u.calls.Add(1)
	return nil, nil
}

func TestScenario28_LazyResultsAndROICopy(t *testing.T) {
	data := testData(8, 8, 8, 8)
	ds := memDS(t, data, dataset.MemoryOptions{NumPartitions: 4})
	ctx := context.Background()
	var calls atomic.Int32
	u := countingResults{calls: &calls}
	n := 0
	for _, err := range RunIter(ctx, ds, []UDF{u}, Options{}) {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != 4 || calls.Load() != 0 {
		t.Fatalf("%d iterations, %d Results calls; want 4, 0", n, calls.Load())
	}
	for s, err := range RunIter(ctx, ds, []UDF{u}, Options{}) {
		if err != nil {
			t.Fatal(err)
		}
		s.Results()
		s.Results() // memoised
	}
	if calls.Load() != 4 {
		t.Fatalf("%d Results calls, want 4", calls.Load())
	}
	roi := randomROI(28, 8, 8)
	keep := slices.Clone(roi.Data())
	l, err := RunLazy(ds, []UDF{pixelSumFrame{}}, Options{ROI: roi})
	if err != nil {
		t.Fatal(err)
	}
	for i := range roi.Data() {
		roi.Data()[i] = !roi.Data()[i]
	}
	rs, err := l.Compute(ctx)
	if err != nil {
		t.Fatal(err)
	}
	checkPixelsum(t, rs[0], data, 64, keep)
}

// TestIterShowsNavProgress: a nav-only UDF without Merge shows merged rows in every
// snapshot (ordered default merges in iterated runs), and only those rows.
func TestIterShowsNavProgress(t *testing.T) {
	data := testData(8, 8, 4, 4)
	ds := memDS(t, data, dataset.MemoryOptions{NumPartitions: 4})
	want := frameSums(data.Data(), 16)
	for s, err := range RunIter(context.Background(), ds, []UDF{pixelSumFrame{}}, Options{Workers: 2}) {
		if err != nil {
			t.Fatal(err)
		}
		rs, err := s.Results()
		if err != nil {
			t.Fatal(err)
		}
		raw := f32data(t, rs[0].Get("pixelsum").RawData())
		for i, d := range s.Damage() {
			if d != close32(raw[i], want[i]) || (!d && raw[i] != 0) {
				t.Fatalf("snapshot %d: row %d = %v (damage %v), want %v", s.Done(), i, raw[i], d, want[i])
			}
		}
	}
}
