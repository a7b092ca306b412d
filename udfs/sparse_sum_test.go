package udfs

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/dataset"
	"github.com/stemflow/stemflow/udf"
)

// TestScatterAddF32 checks the unrolled scatter on hand-built entries, repeated
// indices inside one group of four and a tail included.
func TestScatterAddF32(t *testing.T) {
	cases := []struct {
		idx  []int32
		val  []int16
		want []float32
	}{
		{nil, nil, []float32{0, 0, 0, 0}},
		{[]int32{2}, []int16{-3}, []float32{0, 0, -3, 0}},
		{[]int32{1, 1, 1, 1, 1}, []int16{1, 2, 3, 4, 5}, []float32{0, 15, 0, 0}},
		{[]int32{0, 3, 0, 3, 2, 2, 1}, []int16{1, 2, 4, 8, 16, 32, 64}, []float32{5, 64, 48, 10}},
	}
	for i, c := range cases {
		acc := make([]float32, 4)
		scatterAddF32(acc, c.idx, c.val)
		for j := range acc {
			if acc[j] != c.want[j] {
				t.Errorf("case %d: acc = %v, want %v", i, acc, c.want)
				break
			}
		}
	}
}

// TestSparseSumGroups runs Sum over CSR tiles of several frame counts and tile
// depths, so that float32 groups of sparseGroup rows end inside tiles, span tiles
// and stay partial at the end of a partition, and compares with float64 sums
// computed by a direct loop (exact for the integer dtypes).
func TestSparseSumGroups(t *testing.T) {
	const sy, sx = 6, 5
	r := rand.New(rand.NewPCG(5, 6))
	for _, dt := range []array.DType{array.Float32, array.Uint16, array.Int16, array.Uint8, array.Int8, array.Float64, array.Int32} {
		for _, frames := range []int{1, 63, 64, 65, 200} {
			for _, depth := range []int{1, 7, 64, 200} {
				name := fmt.Sprintf("%v/frames=%d/depth=%d", dt, frames, depth)
				v := make([]float64, frames*sy*sx)
				for i := range v {
					if r.IntN(3) == 0 {
						switch dt {
						case array.Uint16:
							v[i] = float64(60000 + r.IntN(5536))
						case array.Int16:
							v[i] = float64(r.IntN(65536) - 32768)
						case array.Uint8:
							v[i] = float64(r.IntN(256))
						case array.Int8, array.Int32:
							v[i] = float64(r.IntN(256) - 128)
						default:
							v[i] = r.Float64()*1000 - 200
						}
					}
				}
				want := make([]float64, sy*sx)
				for f := range frames {
					for p := range want {
						want[p] += float64(float32(v[f*sy*sx+p]))
					}
				}
				if dt == array.Float64 {
					clear(want)
					for f := range frames {
						for p := range want {
							want[p] += v[f*sy*sx+p]
						}
					}
				}
				t.Run(name, func(t *testing.T) {
					a, err := array.Convert(array.Wrap(v, frames, sy, sx), dt)
					if err != nil {
						t.Fatal(err)
					}
					ds := memDS(t, a, dataset.MemoryOptions{NumPartitions: 1, TileShape: []int{depth, sy, sx},
						ArrayFormats: []array.Format{array.FormatCSR}})
					res := runOne(t, ds, Sum{}, udf.Options{Inline: true}, nil)
					got, _ := f64(t, res.Get("intensity").RawData())
					rel := 0.0 // integer sums are exact
					switch dt {
					case array.Float32:
						rel = 1e-6
					case array.Float64:
						rel = 1e-12 // the order of the additions differs
					}
					closeTo(t, "intensity", got, want, rel, 0)
				})
			}
		}
	}
}
