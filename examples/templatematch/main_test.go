package main

import (
	"context"
	"math"
	"testing"

	"github.com/stemflow/stemflow/dataset"
	"github.com/stemflow/stemflow/udf"
)

// TestFindsPlantedPeaks checks that every planted peak is found at its exact
// position, with a refined position within half a pixel and a positive height, on
// sparse (CSR) tiles and on dense tiles.
func TestFindsPlantedPeaks(t *testing.T) {
	for _, seed := range []uint64{1, 2} {
		data, pl := generate(seed)
		res, err := run(context.Background(), data, pl)
		if err != nil {
			t.Fatal(err)
		}
		ds, err := dataset.NewMemory(data, dataset.MemoryOptions{NumPartitions: 3, TileShape: []int{5, 32, 64}})
		if err != nil {
			t.Fatal(err)
		}
		dense, err := udf.RunOne(context.Background(), ds, TemplateMatch{Peaks: pl.Peaks, Steps: 2, Radius: 3}, udf.Options{Workers: 2})
		if err != nil {
			t.Fatal(err)
		}
		for name, r := range map[string]*udf.Result{"csr": res, "dense sig-tiled": dense} {
			centers, refineds, heights, err := rawResults(r)
			if err != nil {
				t.Fatal(err)
			}
			np := len(pl.Peaks)
			for f, truth := range pl.True {
				for p, tp := range truth {
					o := f*np + p
					if int(centers[2*o]) != tp[0] || int(centers[2*o+1]) != tp[1] {
						t.Fatalf("seed %d %s: frame %d peak %d: center %v, planted %v", seed, name, f, p, centers[2*o:2*o+2], tp)
					}
					for a := 0; a < 2; a++ {
						if d := math.Abs(float64(refineds[2*o+a]) - float64(tp[a])); d > 0.5 {
							t.Errorf("seed %d %s: frame %d peak %d: refined %v, planted %v", seed, name, f, p, refineds[2*o:2*o+2], tp)
						}
					}
					if heights[o] <= 0 {
						t.Errorf("seed %d %s: frame %d peak %d: height %v", seed, name, f, p, heights[o])
					}
				}
			}
		}
	}
}

// TestRefine checks the parabola vertex on hand-computed values.
func TestRefine(t *testing.T) {
	// values 1, 3, 2 at 0, 1, 2: vertex at 1 + 0.5·(1−2)/(1−6+2) = 1 + 1/6
	v := []float32{1, 3, 2}
	if got := refine(1, 3, func(i int) float32 { return v[i] }); math.Abs(float64(got)-(1+1.0/6)) > 1e-6 {
		t.Errorf("refine = %v, want %v", got, 1+1.0/6)
	}
	if got := refine(0, 3, func(i int) float32 { return v[i] }); got != 0 {
		t.Errorf("edge refine = %v, want 0", got)
	}
}
