package udfs

import (
	"context"
	"testing"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/dataset"
	"github.com/stemflow/stemflow/udf"
)

// TestNoAllocsPerFrameBuiltins: Sum, SumSig, CoM, StdDev and Logsum over 64× more
// frames (same partitions, tiles of one to four frames or whole partitions) allocate
// no more than a few extra times: nothing per frame or per tile.
func TestNoAllocsPerFrameBuiltins(t *testing.T) {
	com, err := NewCoM()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, dt := range []array.DType{array.Uint16, array.Float32} {
		for _, tile := range [][]int{nil, {1, 8, 8}, {4, 8, 8}} {
			opts := dataset.MemoryOptions{NumPartitions: 2, TileShape: tile}
			mk := func(n int) dataset.Dataset {
				a, err := array.Convert(array.Wrap(randU16(n*n*64, 7), n, n, 8, 8), dt)
				if err != nil {
					t.Fatal(err)
				}
				return memDS(t, a, opts)
			}
			small, large := mk(4), mk(32)
			for _, u := range []udf.UDF{&Sum{}, SumSig{}, com, &StdDev{}, Logsum{}} {
				allocs := func(ds dataset.Dataset) float64 {
					return testing.AllocsPerRun(3, func() {
						if _, err := udf.RunOne(ctx, ds, u, udf.Options{Inline: true}); err != nil {
							t.Fatal(err)
						}
					})
				}
				a, b := allocs(small), allocs(large)
				// 1,008 more frames (252 more tiles of four): anything allocated per
				// frame or per tile adds at least 252. The slack of 48 absorbs
				// sync.Pool refills after garbage collections, which the larger run
				// sees more of (under -race especially).
				if b-a > 48 {
					t.Errorf("%T, %v, tile %v: %v allocations for 16 frames, %v for 1024", u, dt, tile, a, b)
				}
			}
		}
	}
}
