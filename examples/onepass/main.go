// Command onepass runs several built-in UDFs in one pass over the data — a sum image,
// a bright-field (disk) detector, an annular dark-field (ring) detector, the centre of
// mass and the per-pixel standard deviation — and prints a summary of each result.
//
//	go run ./examples/onepass [FILE]
package main

import (
	"context"
	"fmt"
	"log"
	"math"
	"os"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/dataset"
	"github.com/stemflow/stemflow/internal/sample"
	"github.com/stemflow/stemflow/udf"
	"github.com/stemflow/stemflow/udfs"
)

func main() {
	ctx := context.Background()
	ds, err := open(os.Args[1:])
	if err != nil {
		log.Fatal(err)
	}
	defer ds.Close()
	sig := ds.Shape().Sig()
	if len(sig) != 2 || len(ds.Shape().Nav()) != 2 {
		log.Fatalf("this example needs a 4D-STEM dataset, got shape %v", ds.Shape())
	}
	cy, cx := float64(sig[0]/2), float64(sig[1]/2)
	r := float64(sig[0]) / 5
	com, err := udfs.NewCoM(udfs.WithRadius(2 * r))
	if err != nil {
		log.Fatal(err)
	}
	list := []udf.UDF{
		udfs.Sum{},
		&udfs.ApplyMasks{Factories: []udfs.MaskFactory{udfs.DiskMask(cy, cx, r)}},      // bright field
		&udfs.ApplyMasks{Factories: []udfs.MaskFactory{udfs.RingMask(cy, cx, 3*r, r)}}, // dark field
		com,
		udfs.StdDev{},
	}
	names := []string{"sum", "bright field", "dark field", "centre of mass", "std dev"}
	results, err := udf.Run(ctx, ds, list, udf.Options{})
	if err != nil {
		log.Fatal(err)
	}
	for i, res := range results {
		fmt.Printf("%s:\n", names[i])
		for _, name := range res.Names() {
			d := res.Get(name).Data()
			lo, hi := minMax(d)
			fmt.Printf("  %-11s %-8v %-12s min %-10.4g max %.4g\n", name, d.DType(), fmt.Sprint(d.Shape()), lo, hi)
		}
	}
}

// minMax returns the smallest and largest non-NaN value of a numeric array.
func minMax(a array.Array) (float64, float64) {
	f, err := array.Convert(a, array.Float64)
	if err != nil {
		return math.NaN(), math.NaN()
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range f.(*array.Dense[float64]).Data() {
		if !math.IsNaN(v) {
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
	}
	return lo, hi
}

// open opens FILE when given, else the synthetic sample (32×32 scan, 64×64 frames).
func open(args []string) (dataset.Dataset, error) {
	if len(args) > 0 {
		return dataset.Open("auto", args[0], dataset.OpenOptions{})
	}
	data, err := sample.Generate(sample.DefaultScene)
	if err != nil {
		return nil, err
	}
	return dataset.NewMemory(array.Wrap(data, sample.DefaultScene.Shape()...), dataset.MemoryOptions{})
}
