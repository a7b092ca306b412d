package udf

import (
	"context"
	"slices"
	"testing"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/dataset"
)

func TestViewRepointing(t *testing.T) {
	base := array.Zeros[float32](4, 3, 2)
	for i := range base.Data() {
		base.Data()[i] = float32(i)
	}
	v := typed[float32]{base}.newView()
	cur0 := v.current()
	cases := []struct {
		name  string
		set   func()
		shape []int
		data  []float32
	}{
		{"rows", func() { v.rows(1, 2) }, []int{2, 3, 2}, []float32{6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17}},
		{"row", func() { v.row(3) }, []int{3, 2}, []float32{18, 19, 20, 21, 22, 23}},
		{"box", func() { v.box([]array.Range{{Start: 1, Stop: 3}, {Start: 1, Stop: 3}}) }, []int{2, 2, 2}, []float32{8, 9, 10, 11, 14, 15, 16, 17}},
		{"empty rows", func() { v.rows(2, 0) }, []int{0, 3, 2}, []float32{}},
		{"whole", func() { v.whole() }, []int{4, 3, 2}, base.Data()},
	}
	for _, c := range cases {
		c.set()
		cur := v.current().(*array.Dense[float32])
		if cur != cur0 {
			t.Fatalf("%s: the view header moved", c.name)
		}
		if !slices.Equal(cur.Shape(), c.shape) || !slices.Equal(cur.Copy().Data(), c.data) {
			t.Fatalf("%s: %v %v, want %v %v", c.name, cur.Shape(), cur.Copy().Data(), c.shape, c.data)
		}
	}
	// writes through the view reach the base
	v.row(0)
	v.current().(*array.Dense[float32]).Set(100, 1, 1)
	if base.At(0, 1, 1) != 100 {
		t.Fatal("write through view lost")
	}
	// re-pointing allocates nothing
	boxR := []array.Range{{Start: 1, Stop: 3}, {Start: 0, Stop: 2}}
	if n := testing.AllocsPerRun(100, func() {
		v.rows(1, 2)
		v.row(2)
		v.box(boxR)
		v.whole()
	}); n != 0 {
		t.Fatalf("re-pointing allocates %v times", n)
	}
	// a new base of another rank
	other := array.Wrap([]float32{1, 2, 3, 4, 5, 6}, 6)
	v.setBase(other)
	v.rows(4, 2)
	if got := v.current().(*array.Dense[float32]).Copy().Data(); !slices.Equal(got, []float32{5, 6}) {
		t.Fatalf("rows of the new base: %v", got)
	}
	// a 1-d base gives (1,) rows (the frame view of a nav buffer)
	nav := array.Zeros[int32](5)
	nv := typed[int32]{nav}.newView()
	nv.row(4)
	nv.current().(*array.Dense[int32]).Data()[0] = 7
	if nav.Data()[4] != 7 || !slices.Equal(nv.current().Shape(), []int{1}) {
		t.Fatalf("1-d row view %v", nv.current().Shape())
	}
	// the dtype of a byte-string base is kept
	bs := array.WrapBytes(3, []string{"a", "b"}, 2)
	bv := typed[string]{bs}.newView()
	bv.row(1)
	if bv.current().DType() != array.Bytes(3) {
		t.Fatalf("byte-string view dtype %v", bv.current().DType())
	}
}

// navFrame writes one value per frame into a nav buffer and a sig buffer.
type navFrame struct{}

func (navFrame) ResultBuffers(*Meta) []BufferSpec {
	return []BufferSpec{NavBuffer("n", array.Float32), SigBuffer("s", array.Float32)}
}
func (navFrame) ProcessFrame(env *Env, frame array.Array) error {
	F32(env, 0).Data()[0] = 1
	F32(env, 1).Data()[0]++
	return nil
}
func (navFrame) Merge(dest, src *Views, _ *Meta) error {
	if err := F32(dest, 0).CopyFrom(F32(src, 0)); err != nil {
		return err
	}
	F32(dest, 1).Data()[0] += F32(src, 1).Data()[0]
	return nil
}

// BenchmarkViewRepoint re-points a frame view (row) and a tile view (rows) over a
// (64, 16, 16) float32 base: the per-frame and per-tile cost of the engine's views.
func BenchmarkViewRepoint(b *testing.B) {
	base := array.Zeros[float32](64, 16, 16)
	v := typed[float32]{base}.newView()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		v.row(i & 63)
		v.rows(i&31, 32)
		i++
	}
}

// TestNoAllocsPerFrame: a run over 16× more frames (same partitions, one nav and one
// sig buffer re-pointed per frame, frame views re-pointed per frame and re-based per
// tile) allocates no more than a few extra times, whole-partition tiles or tiles of
// one, two or four frames.
func TestNoAllocsPerFrame(t *testing.T) {
	ctx := context.Background()
	for _, tile := range [][]int{nil, {1, 8, 8}, {2, 8, 8}, {4, 8, 8}} {
		opts := dataset.MemoryOptions{NumPartitions: 2, TileShape: tile}
		small := memDS(t, array.Zeros[float32](4, 4, 8, 8), opts)
		large := memDS(t, array.Zeros[float32](16, 16, 8, 8), opts)
		for _, u := range []UDF{navFrame{}, emptyFrame{}} {
			allocs := func(ds dataset.Dataset) float64 {
				return testing.AllocsPerRun(5, func() {
					if _, err := RunOne(ctx, ds, u, Options{Inline: true}); err != nil {
						t.Fatal(err)
					}
				})
			}
			a, b := allocs(small), allocs(large)
			// 240 more frames: any per-frame (or per-tile, with small tiles)
			// allocation would add >= 60
			if b-a > 16 {
				t.Errorf("%T, tile %v: %v allocations for 16 frames, %v for 256", u, tile, a, b)
			}
		}
	}
}
