// Command customudf runs a custom UDF: per frame, the number of pixels brighter than a
// threshold, and per detector pixel, the number of frames in which it is brighter. On
// the sample data the diffraction disk is bright (≈100 counts) except where a particle
// scatters electrons out of it, so the count map is a thresholded bright-field image.
//
//	go run ./examples/customudf [FILE]
package main

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/dataset"
	"github.com/stemflow/stemflow/internal/sample"
	"github.com/stemflow/stemflow/udf"
)

// Bright counts the pixels above Threshold: per frame ("count") and per detector pixel
// ("hits"). It takes float32 or float64 input, whichever the run chose.
type Bright struct{ Threshold float64 }

// ResultBuffers declares count (per frame) and hits (per detector pixel).
func (Bright) ResultBuffers(*udf.Meta) []udf.BufferSpec {
	return []udf.BufferSpec{udf.NavBuffer("count", array.Float32), udf.SigBuffer("hits", array.Float32)}
}

// ProcessFrame counts one frame. The run's input dtype is float32 unless the data or
// another UDF of the pass asks for more, so a UDF must take both.
func (b Bright) ProcessFrame(env *udf.Env, frame array.Array) error {
	if frame.DType() == array.Float64 {
		return bright[float64](env, frame, b.Threshold)
	}
	return bright[float32](env, frame, b.Threshold)
}

func bright[T float32 | float64](env *udf.Env, frame array.Array, threshold float64) error {
	in, err := udf.Input[T](frame) // an error naming the dtype it got, never a panic
	if err != nil {
		return err
	}
	hits, n := udf.F32(env, 1), float32(0) // hits: the whole (contiguous) sig buffer
	for i, v := range in.All() {
		if float64(v) > threshold {
			n++
			hits.Data()[hits.Offset()+i]++
		}
	}
	udf.F32(env, 0).Set(n, 0) // this frame's entry
	return nil
}

// Merge adds each partition's counts: count's rows are still zero, hits is a sum.
func (Bright) Merge(dest, src *udf.Views, _ *udf.Meta) error { return udf.MergeAdd(dest, src) }

func main() {
	ctx := context.Background()
	ds, err := open(os.Args[1:])
	if err != nil {
		log.Fatal(err)
	}
	defer ds.Close()
	u := Bright{Threshold: 70}
	if err := udf.Check(u); err != nil { // contract mistakes, before any data is read
		log.Fatal(err)
	}
	res, err := udf.RunOne(ctx, ds, u, udf.Options{})
	if err != nil {
		log.Fatal(err)
	}
	count, err := udf.Input[float32](res.Get("count").Data())
	if err != nil {
		log.Fatal(err)
	}
	hits, _ := udf.Input[float32](res.Get("hits").Data())
	fmt.Printf("the brightest detector pixel is above 70 in %.0f of %d frames\n", maxOf(hits), count.Size())
	nav, most := count.Shape(), max(maxOf(count), 1)
	if len(nav) != 2 {
		fmt.Println("counts:", count.Contiguous().Data())
		return
	}
	// A text picture: darker characters for fewer bright pixels.
	const ramp = " .:-=+*#%@"
	fmt.Printf("pixels above 70 per frame, scan %v, darkest ' ' = 0, '@' = %.0f:\n", nav, most)
	for y := range nav[0] {
		for x := range nav[1] {
			c := ramp[int(count.At(y, x)/most*float32(len(ramp)-1))]
			fmt.Printf("%c%c", c, c)
		}
		fmt.Println()
	}
}

func maxOf(a *array.Dense[float32]) (m float32) {
	for _, v := range a.All() {
		m = max(m, v)
	}
	return m
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
