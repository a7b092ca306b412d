package render_test

import (
	"bytes"
	"fmt"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"

	"github.com/stemflow/stemflow/internal/render"
)

// Render a small array as a heat map with a colour bar and save it as a PNG.
func ExampleHeatmap() {
	const h, w = 16, 16
	data := make([]float64, h*w)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			data[y*w+x] = math.Hypot(float64(y-8), float64(x-8))
		}
	}
	img, err := render.Heatmap(data, h, w, render.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	dir, _ := os.MkdirTemp("", "render-example")
	defer os.RemoveAll(dir)
	if err := render.WritePNG(filepath.Join(dir, "distance.png"), img); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(img.Bounds().Dy() >= 256, render.Viridis(0))
	// Output: true {68 1 84 255}
}

// Encode a heat map straight into a PNG file's bytes, without an image in memory.
func ExampleEncodeHeatmap() {
	const h, w = 8, 8
	data := make([]float64, h*w)
	for i := range data {
		data[i] = float64(i)
	}
	var buf bytes.Buffer
	if err := render.EncodeHeatmap(&buf, data, h, w, render.Options{}); err != nil {
		fmt.Println(err)
		return
	}
	img, err := png.Decode(&buf)
	if err != nil {
		fmt.Println(err)
		return
	}
	// the first data cell holds the minimum: viridis' first colour
	fmt.Println(img.Bounds().Dy() >= 256, color.NRGBAModel.Convert(img.At(8, 8)))
	// Output: true {68 1 84 255}
}
