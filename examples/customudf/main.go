// Command customudf runs a custom tile UDF: per frame, the number of pixels brighter
// than a threshold. On the sample data the diffraction disk is bright (≈100 counts)
// except where a particle scatters electrons out of it, so the count map is a
// thresholded bright-field image.
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

// Bright counts the pixels above Threshold in each frame. Tiles may hold part of a
// frame's signal, so each tile adds its count (+=) to the frame's entry.
type Bright struct{ Threshold float32 }

// ResultBuffers declares one float32 value per scan position.
func (Bright) ResultBuffers(*udf.Meta) []udf.BufferSpec {
	return []udf.BufferSpec{udf.NavBuffer("count", array.Float32)}
}

// ProcessTile counts: tile is (frames, signal box); the nav view holds its frames.
func (b Bright) ProcessTile(env *udf.Env, tile array.Array) error {
	t, ok := tile.(*array.Dense[float32])
	if !ok {
		return fmt.Errorf("Bright reads float32 input, got %v", tile.DType())
	}
	data, out := values(t), values(udf.F32(env, 0))
	px := t.Size() / t.Dim(0)
	for f := range t.Dim(0) {
		for _, v := range data[f*px : (f+1)*px] {
			if v > b.Threshold {
				out[f]++
			}
		}
	}
	return nil
}

// values returns a dense array's elements in C order (tiles and views are contiguous).
func values(a *array.Dense[float32]) []float32 {
	c := a.Contiguous()
	return c.Data()[c.Offset():][:c.Size()]
}

func main() {
	ctx := context.Background()
	ds, err := open(os.Args[1:])
	if err != nil {
		log.Fatal(err)
	}
	defer ds.Close()
	res, err := udf.RunOne(ctx, ds, Bright{Threshold: 70}, udf.Options{})
	if err != nil {
		log.Fatal(err)
	}
	count := res.Get("count").Data().(*array.Dense[float32])
	nav := count.Shape()
	if len(nav) != 2 {
		fmt.Println("counts:", values(count))
		return
	}
	var most float32 = 1
	for _, v := range values(count) {
		most = max(most, v)
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
