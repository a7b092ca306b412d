// Command progress iterates a run with RunIter and draws live progress — partitions
// merged, frames done, throughput — after every merged partition, the way a live
// display would update, then prints the finished sum image's statistics. Ctrl-C
// cancels the run cleanly.
//
// Iterated runs merge partition by partition (a UDF with both Merge and MergeAll, such
// as Sum, is merged by its Merge chain), so every snapshot's Results hold the partial
// sum so far; only a MergeAll-only UDF shows zeros until the last snapshot.
//
//	go run ./examples/progress [FILE]
package main

import (
	"context"
	"fmt"
	"log"
	"math"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/dataset"
	"github.com/stemflow/stemflow/internal/sample"
	"github.com/stemflow/stemflow/udf"
	"github.com/stemflow/stemflow/udfs"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	ds, err := open(os.Args[1:])
	if err != nil {
		log.Fatal(err)
	}
	defer ds.Close()
	frameBytes := float64(ds.Shape().SigSize() * ds.DType().ItemSize())

	start := time.Now()
	var last *udf.Snapshot
	var sum array.Array
	// Sixteen partitions, so there is something to watch.
	for snap, err := range udf.RunIter(ctx, ds, []udf.UDF{udfs.Sum{}, udfs.StdDev{}}, udf.Options{NumPartitions: 16}) {
		if err != nil {
			log.Fatal(err)
		}
		frames := 0
		for _, d := range snap.DamageFull() {
			if d {
				frames++
			}
		}
		secs := time.Since(start).Seconds()
		bar := strings.Repeat("#", 20*snap.Done()/snap.Total()) + strings.Repeat(".", 20-20*snap.Done()/snap.Total())
		fmt.Printf("[%s] %2d/%d partitions, %5d frames, %7.1f MB/s\n",
			bar, snap.Done(), snap.Total(), frames, float64(frames)*frameBytes/secs/1e6)
		last = snap
		// Results must be read inside the loop: later merges change them.
		if snap.Done() == snap.Total() {
			rs, err := snap.Results()
			if err != nil {
				log.Fatal(err)
			}
			sum = rs[0].Get("intensity").Data()
		}
	}
	if last == nil || sum == nil {
		log.Fatal("the run produced no snapshot")
	}
	f, err := array.Convert(sum, array.Float64)
	if err != nil {
		log.Fatal(err)
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range f.(*array.Dense[float64]).Data() {
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	fmt.Printf("sum image %v: min %.4g, max %.4g\n", sum.Shape(), lo, hi)
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
