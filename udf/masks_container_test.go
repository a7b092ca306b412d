package udf

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/dataset"
)

// TestMaskContainerGetTileSlice: Get takes a whole tile slice (nav axes + signal box)
// as well as the signal box, and both give the same cached cut, whose values are the
// direct cut of the stack.
func TestMaskContainerGetTileSlice(t *testing.T) {
	stack := array.Zeros[float32](2, 3, 4)
	for i := range stack.Data() {
		stack.Data()[i] = float32(i)
	}
	sigBox := array.NewSlice([]int{1, 1}, array.NewShape([]int{2, 2}, 2))
	// box pixels (1,1),(1,2),(2,1),(2,2) -> flat 5,6,9,10 (+12 for mask 1)
	want := map[bool][]float32{false: {5, 6, 9, 10, 17, 18, 21, 22}, true: {5, 17, 6, 18, 9, 21, 10, 22}}
	slices := []struct {
		name string
		box  array.Slice
	}{
		{"tile, 1 nav axis", array.NewSlice([]int{5, 1, 1}, array.NewShape([]int{3, 2, 2}, 2))},
		{"tile, 2 nav axes", array.NewSlice([]int{1, 3, 1, 1}, array.NewShape([]int{1, 4, 2, 2}, 2))},
		{"frame", array.NewSlice([]int{7, 1, 1}, array.NewShape([]int{1, 2, 2}, 2))},
		{"signal box", sigBox},
		{"signal box, no sig axes", array.NewSlice([]int{1, 1}, array.NewShape([]int{2, 2}, 0))},
	}
	for _, mode := range []SparseMode{SparseNever, SparseAlways} {
		c := NewMaskStack(func([]int) (array.Array, error) { return stack, nil }, array.DType{}).WithSparse(mode)
		for _, tr := range []bool{false, true} {
			ref, err := c.Get(sigBox, tr)
			if err != nil {
				t.Fatal(err)
			}
			if mode == SparseNever {
				if got := ref.(*array.Dense[float32]).Data(); fmt.Sprint(got) != fmt.Sprint(want[tr]) {
					t.Fatalf("transpose=%v: cut %v, want %v", tr, got, want[tr])
				}
			}
			for _, s := range slices {
				got, err := c.Get(s.box, tr)
				if err != nil {
					t.Fatalf("%v %s transpose=%v: %v", mode, s.name, tr, err)
				}
				if got != ref {
					t.Errorf("%v %s transpose=%v: not the signal box's cut", mode, s.name, tr)
				}
			}
		}
		// the tile slice is the first to ask: same cut as the signal box afterwards
		c2 := NewMaskStack(func([]int) (array.Array, error) { return stack, nil }, array.DType{}).WithSparse(mode)
		first, err := c2.Get(slices[0].box, false)
		if err != nil {
			t.Fatal(err)
		}
		if again, _ := c2.Get(sigBox, false); again != first {
			t.Errorf("%v: signal box after tile slice: another cut", mode)
		}
		if mode == SparseNever {
			if got := first.(*array.Dense[float32]).Data(); fmt.Sprint(got) != fmt.Sprint(want[false]) {
				t.Fatalf("cut from a tile slice %v, want %v", got, want[false])
			}
		}
	}
	bad := []array.Slice{
		{Origin: []int{1}, Shape: array.NewShape([]int{3, 2, 2}, 2)},            // origin too short
		array.NewSlice([]int{0, 2, 2}, array.NewShape([]int{1, 2, 4}, 2)),       // outside the signal
		array.NewSlice([]int{0, 0, 0, 0}, array.NewShape([]int{1, 1, 1, 1}, 3)), // 3 sig axes for 2-d masks
	}
	c := NewMaskStack(func([]int) (array.Array, error) { return stack, nil }, array.DType{})
	for i, b := range bad {
		if _, err := c.Get(b, false); !errors.Is(err, ErrSigSlice) {
			t.Errorf("bad slice %d: err %v, want ErrSigSlice", i, err)
		}
	}
}

// sliceMasks checks, in every tile of a run, that Get(Meta.Slice) and
// Get(Meta.SigSlice) give the same cut.
type sliceMasks struct{}

func (sliceMasks) ResultBuffers(*Meta) []BufferSpec {
	return []BufferSpec{NavBuffer("n", array.Float32)}
}
func (sliceMasks) TaskData(env *Env) (any, error) {
	sig := env.Meta.DatasetShape.Sig()
	return NewMaskStack(func([]int) (array.Array, error) { return array.Zeros[float32](append([]int{2}, sig...)...), nil }, array.Float32), nil
}
func (sliceMasks) ProcessTile(env *Env, _ array.Array) error {
	mc := env.TaskData().(*MaskContainer)
	a, err := mc.Get(env.Meta.Slice, true)
	if err != nil {
		return err
	}
	b, err := mc.Get(env.Meta.SigSlice, true)
	if err != nil {
		return err
	}
	if a != b {
		return fmt.Errorf("tile %v and box %v give different cuts", env.Meta.Slice, env.Meta.SigSlice)
	}
	return nil
}

func TestMaskContainerGetMetaSliceInRun(t *testing.T) {
	ds := memDS(t, testData(3, 4, 6, 8), dataset.MemoryOptions{NumPartitions: 2, TileShape: []int{2, 3, 4}})
	if _, err := RunOne(context.Background(), ds, sliceMasks{}, Options{Workers: 2}); err != nil {
		t.Fatal(err)
	}
}
