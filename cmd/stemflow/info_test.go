package main

import (
	"context"
	"reflect"
	"sync"
	"testing"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/dataset"
	"github.com/stemflow/stemflow/udf"
	"github.com/stemflow/stemflow/udfs"
)

// recorder is a tile UDF with neutral preferences (no tiling preferences, the neutral
// input dtype) that records the tile shape and input dtype the engine negotiated.
type recorder struct {
	mu    *sync.Mutex
	shape *[]int
	input *array.DType
}

func (recorder) ResultBuffers(*udf.Meta) []udf.BufferSpec { return nil }

func (recorder) PreferredInputDType() array.DType { return udf.NativeDType }

func (r recorder) ProcessTile(env *udf.Env, _ array.Array) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	*r.shape = append([]int(nil), env.Meta.TileShape...)
	*r.input = env.Meta.InputDType
	return nil
}

// The scheme info reports is the one a run uses.
func TestInfoTilingMatchesEngine(t *testing.T) {
	com, err := udfs.NewCoM()
	if err != nil {
		t.Fatal(err)
	}
	disk := &udfs.ApplyMasks{Factories: []udfs.MaskFactory{udfs.DiskMask(3, 3, 2)}}
	tests := []struct {
		name string
		arr  array.Array
		part int
		us   []udf.UDF
	}{
		{"float32 sum 2 partitions", array.Zeros[float32](8, 6, 16, 12), 2, []udf.UDF{udfs.Sum{}}},
		{"uint16 sum 3 partitions", array.Zeros[uint16](4, 5, 32, 40), 3, []udf.UDF{udfs.Sum{}}},
		{"float64 sum 1 partition", array.Zeros[float64](3, 3, 8, 8), 1, []udf.UDF{udfs.Sum{}}},
		{"uint16 com and disk", array.Zeros[uint16](6, 6, 64, 64), 2, []udf.UDF{com, disk}},
		{"float32 stddev and sumsig", array.Zeros[float32](16, 16, 32, 32), 4, []udf.UDF{udfs.StdDev{}, udfs.SumSig{}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ds, err := dataset.NewMemory(tc.arr, dataset.MemoryOptions{NumPartitions: tc.part})
			if err != nil {
				t.Fatal(err)
			}
			scheme, read, methods, err := tilingOf(ds, tc.us, nil, tc.part)
			if err != nil {
				t.Fatal(err)
			}
			for i, m := range methods {
				if m != udf.MethodTile {
					t.Errorf("method of udf %d = %v, want tile", i, m)
				}
			}
			var shape []int
			var input array.DType
			rec := recorder{mu: &sync.Mutex{}, shape: &shape, input: &input}
			if _, err := udf.Run(context.Background(), ds, append(append([]udf.UDF(nil), tc.us...), rec), udf.Options{NumPartitions: tc.part}); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(shape, scheme.Shape) || input != read {
				t.Errorf("engine used tile shape %v, input %v; info says %v, %v", shape, input, scheme.Shape, read)
			}
		})
	}
}
