// Command lazy builds a lazy pipeline: a UDF run compiled into a graph but not
// computed, two of its results fed into an ordinary Go function, the whole graph
// exported as Graphviz DOT, and everything computed in one pass over the data.
//
//	go run ./examples/lazy [FILE] [GRAPH.dot]
package main

import (
	"context"
	"fmt"
	"log"
	"math"
	"os"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/dataset"
	"github.com/stemflow/stemflow/delayed"
	"github.com/stemflow/stemflow/internal/sample"
	"github.com/stemflow/stemflow/udf"
	"github.com/stemflow/stemflow/udfs"
)

// contrast is a plain Go function: the bright-field (disk detector) signal relative
// to the total counts of each frame, reduced to its minimum and maximum.
func contrast(bf, total array.Array) ([2]float64, error) {
	b, err := array.Convert(bf, array.Float64)
	if err != nil {
		return [2]float64{}, err
	}
	t, err := array.Convert(total, array.Float64)
	if err != nil {
		return [2]float64{}, err
	}
	bv, tv := b.(*array.Dense[float64]).Data(), t.(*array.Dense[float64]).Data()
	lo, hi := math.Inf(1), math.Inf(-1)
	for i := range tv {
		r := bv[i] / tv[i]
		lo, hi = math.Min(lo, r), math.Max(hi, r)
	}
	return [2]float64{lo, hi}, nil
}

func main() {
	ctx := context.Background()
	ds, err := open(os.Args[1:])
	if err != nil {
		log.Fatal(err)
	}
	defer ds.Close()
	sig := ds.Shape().Sig()
	if len(sig) != 2 {
		log.Fatalf("this example needs 2-D frames, got %v", sig)
	}
	cy, cx := float64(sig[0]/2), float64(sig[1]/2)
	disk := &udfs.ApplyMasks{Factories: []udfs.MaskFactory{udfs.DiskMask(cy, cx, float64(sig[0])/5)}}

	// Compile the run: nothing is read yet.
	run, err := udf.RunLazy(ds, []udf.UDF{disk, udfs.SumSig{}}, udf.Options{})
	if err != nil {
		log.Fatal(err)
	}
	bf := run.Data(0, "intensity")    // delayed.Delayed[array.Array]
	total := run.Data(1, "intensity") // same run, same pass over the data
	ratio := delayed.Call2Err(contrast, bf, total, delayed.Name("contrast"))

	// Export the graph of everything ratio depends on.
	if len(os.Args) > 2 {
		f, err := os.Create(os.Args[2])
		if err != nil {
			log.Fatal(err)
		}
		if err := delayed.WriteDOT(f, ratio); err != nil {
			log.Fatal(err)
		}
		if err := f.Close(); err != nil {
			log.Fatal(err)
		}
		fmt.Println("graph written to", os.Args[2])
	}

	// Compute the Go function's result and the bright-field image together: the run's
	// partition tasks execute once for both.
	res, err := delayed.Compute(ctx, ratio, bf)
	if err != nil {
		log.Fatal(err)
	}
	r, err := ratio.Get(res)
	if err != nil {
		log.Fatal(err)
	}
	img, err := bf.Get(res)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("graph: %d partition tasks\n", run.NumTasks())
	fmt.Printf("bright-field image %v; disk / total counts ranges %.3f .. %.3f\n", img.Shape(), r[0], r[1])
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
