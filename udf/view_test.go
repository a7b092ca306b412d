package udf

import (
	"slices"
	"testing"

	"github.com/stemflow/stemflow/array"
)

// TestFastViews fails when array.Dense's layout no longer matches the mirrored header:
// the engine then falls back to allocating views (correct, but slower).
func TestFastViews(t *testing.T) {
	if !fastViews {
		t.Fatal("in-place view headers disabled: array.Dense layout changed")
	}
}

func TestViewRepointing(t *testing.T) {
	for _, fast := range []bool{true, false} {
		old := fastViews
		fastViews = fast
		base := array.Zeros[float32](4, 3, 2)
		for i := range base.Data() {
			base.Data()[i] = float32(i)
		}
		v := typed[float32]{base}.newView()
		cases := []struct {
			name  string
			set   func()
			shape []int
			data  []float32
		}{
			{"rows", func() { v.rows(1, 2) }, []int{2, 3, 2}, []float32{6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17}},
			{"row", func() { v.row(3) }, []int{3, 2}, []float32{18, 19, 20, 21, 22, 23}},
			{"box", func() { v.box([]array.Range{{Start: 1, Stop: 3}, {Start: 1, Stop: 3}}) }, []int{2, 2, 2}, []float32{8, 9, 10, 11, 14, 15, 16, 17}},
			{"whole", func() { v.whole() }, []int{4, 3, 2}, base.Data()},
		}
		for _, c := range cases {
			c.set()
			cur := v.current().(*array.Dense[float32])
			if !slices.Equal(cur.Shape(), c.shape) || !slices.Equal(cur.Copy().Data(), c.data) {
				t.Fatalf("fast=%v %s: %v %v, want %v %v", fast, c.name, cur.Shape(), cur.Copy().Data(), c.shape, c.data)
			}
		}
		// writes through the view reach the base
		v.row(0)
		v.current().(*array.Dense[float32]).Set(100, 1, 1)
		if base.At(0, 1, 1) != 100 {
			t.Fatalf("fast=%v: write through view lost", fast)
		}
		// a 1-d base gives (1,) rows (the frame view of a nav buffer)
		nav := array.Zeros[int32](5)
		nv := typed[int32]{nav}.newView()
		nv.row(4)
		nv.current().(*array.Dense[int32]).Data()[0] = 7
		if nav.Data()[4] != 7 || !slices.Equal(nv.current().Shape(), []int{1}) {
			t.Fatalf("fast=%v: 1-d row view %v", fast, nv.current().Shape())
		}
		fastViews = old
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
