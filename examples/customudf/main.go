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

// Bright counts the pixels above Threshold: per frame (count) and per detector pixel
// (hits). It takes float32 or float64 input, whichever the run chose.
type Bright struct{ Threshold float64 }

// count and hits are Bright's buffers: name, kind and dtype, declared once and used by
// ResultBuffers, ProcessFrame, MergeAdd and, after the run, Get.
var count, hits = udf.NavBuf[float32]("count"), udf.SigBuf[float32]("hits")

// ResultBuffers declares count and hits.
func (Bright) ResultBuffers(*udf.Meta) []udf.BufferSpec { return udf.Declare(count, hits) }

// Merge adds each partition's counts: count's rows are still zero, hits is a sum.
func (Bright) Merge(dest, src *udf.Views, _ *udf.Meta) error { return udf.MergeAdd(dest, src) }

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
	c, h := count.View(env), hits.View(env) // typed views: this frame's entry, the whole sig buffer
	for i, v := range in.All() {
		if float64(v) > threshold {
			c.Data()[c.Offset()]++
			h.Data()[h.Offset()+i]++
		}
	}
	return nil
}

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
	cnt, err := count.Get(res) // *array.Dense[float32], nav-shaped
	if err != nil {
		log.Fatal(err)
	}
	hit, err := hits.Get(res)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("the brightest detector pixel is above 70 in %.0f of %d frames\n", maxOf(hit), cnt.Size())
	nav, most := cnt.Shape(), max(maxOf(cnt), 1)
	if len(nav) != 2 {
		fmt.Println("counts:", cnt.Contiguous().Data())
		return
	}
	// A text picture: darker characters for fewer bright pixels.
	const ramp = " .:-=+*#%@"
	fmt.Printf("pixels above 70 per frame, scan %v, darkest ' ' = 0, '@' = %.0f:\n", nav, most)
	for y := range nav[0] {
		for x := range nav[1] {
			c := ramp[int(cnt.At(y, x)/most*float32(len(ramp)-1))]
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
