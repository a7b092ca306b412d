package render

import (
	"io"
	"testing"
)

// BenchmarkHeatmap renders a 256×256 array (magnification 1) and reports the rate
// in data values per second.
func BenchmarkHeatmap(b *testing.B) {
	const n = 256
	data := make([]float64, n*n)
	for i := range data {
		data[i] = float64(i % 977)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Heatmap(data, n, n, Options{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*n*n)/b.Elapsed().Seconds()/1e6, "Mvalues/s")
}

// BenchmarkHeatmapPNG adds PNG encoding, the other half of writing a picture.
func BenchmarkHeatmapPNG(b *testing.B) {
	const n = 64
	data := make([]float64, n*n)
	for i := range data {
		data[i] = float64(i % 97)
	}
	b.ReportAllocs()
	for b.Loop() {
		img, err := Heatmap(data, n, n, Options{})
		if err != nil {
			b.Fatal(err)
		}
		if err := EncodePNG(io.Discard, img); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N)*1e3, "ms/picture")
}
