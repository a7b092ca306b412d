package udf

import (
	"context"
	"slices"
	"sync"
	"testing"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/dataset"
)

// planProbe records what its process methods are handed, so the plan can be
// checked against what the engine actually does.
type planProbe struct {
	mu     *sync.Mutex
	shapes *[][]int
	dtypes *[]array.DType
}

func (planProbe) ResultBuffers(*Meta) []BufferSpec { return nil }

func (p planProbe) ProcessTile(env *Env, tile array.Array) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	*p.shapes = append(*p.shapes, slices.Clone(env.Meta.TileShape))
	*p.dtypes = append(*p.dtypes, tile.DType())
	return nil
}

// TestLazyRunPlan checks LazyRun.Plan against the forced tile shape of a memory
// dataset, the numpy promotion of the input dtype, the partitions with ROI frames,
// and against what the probe UDF is handed when the run is computed.
func TestLazyRunPlan(t *testing.T) {
	data := make([]uint16, 8*6*5)
	ds := memDS(t, array.Wrap(data, 8, 6, 5), dataset.MemoryOptions{NumPartitions: 4, TileShape: []int{2, 3, 5}})
	roi := array.Zeros[bool](8)
	roi.Set(true, 0) // only the first partition (frames 0–1) has work
	roi.Set(true, 1)
	var mu sync.Mutex
	var shapes [][]int
	var dtypes []array.DType
	l, err := RunLazy(ds, []UDF{planProbe{&mu, &shapes, &dtypes}}, Options{ROI: roi, Inline: true})
	if err != nil {
		t.Fatal(err)
	}
	p := l.Plan()
	if p.InputDType != array.Float32 { // float32 preference ⊕ uint16 = float32
		t.Errorf("InputDType %v, want float32", p.InputDType)
	}
	if !slices.Equal(p.Methods, []Method{MethodTile}) {
		t.Errorf("Methods %v, want [tile]", p.Methods)
	}
	if !slices.Equal(p.Scheme.Shape, []int{2, 3, 5}) || p.Scheme.Len() != 2 {
		t.Errorf("Scheme %v with %d boxes, want [2 3 5] with 2", p.Scheme.Shape, p.Scheme.Len())
	}
	if len(p.Partitions) != 1 || p.Partitions[0].Index != 0 {
		t.Errorf("Partitions %v, want only partition 0", p.Partitions)
	}
	if _, err := l.Compute(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(shapes) == 0 {
		t.Fatal("no tile processed")
	}
	for i := range shapes {
		if !slices.Equal(shapes[i], p.Scheme.Shape) || dtypes[i] != p.InputDType {
			t.Errorf("tile %d: shape %v dtype %v, plan says %v %v", i, shapes[i], dtypes[i], p.Scheme.Shape, p.InputDType)
		}
	}
}
