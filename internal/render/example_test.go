package render_test

import (
	"fmt"
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
