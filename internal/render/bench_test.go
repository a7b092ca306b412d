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

// BenchmarkEncodeHeatmap renders and encodes a 64×64 heatmap row by row (the CLI's
// path), and BenchmarkEncodeField the colour-wheel picture of a 64×64 field.
func BenchmarkEncodeHeatmap(b *testing.B) {
	const n = 64
	data := make([]float64, n*n)
	for i := range data {
		data[i] = float64(i%97) * float64(i/64)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := EncodeHeatmap(io.Discard, data, n, n, Options{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N)*1e3, "ms/picture")
}

func BenchmarkEncodeField(b *testing.B) {
	const n = 64
	fy, fx := make([]float64, n*n), make([]float64, n*n)
	for i := range fy {
		fy[i], fx[i] = float64(i%64)-32, float64(i/64)-32
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := EncodeField(io.Discard, fy, fx, n, n, Options{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N)*1e3, "ms/picture")
}
