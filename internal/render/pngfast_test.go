package render

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"testing"
)

// TestEncodePNGPixels encodes opaque pictures (the fast RGB path), translucent ones
// (image/png) and an offset sub-image, decodes them with image/png and compares
// every pixel with the source.
func TestEncodePNGPixels(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	mk := func(w, h int, alpha func() uint8) *image.NRGBA {
		img := image.NewNRGBA(image.Rect(0, 0, w, h))
		for i := range img.Pix {
			img.Pix[i] = uint8(rng.UintN(256))
			if i%4 == 3 {
				img.Pix[i] = alpha()
			}
		}
		return img
	}
	opaqueA := func() uint8 { return 255 }
	magnified := mk(7, 5, opaqueA)
	big := image.NewNRGBA(image.Rect(0, 0, 7*8, 5*8))
	for y := range 5 * 8 {
		for x := range 7 * 8 {
			big.SetNRGBA(x, y, magnified.NRGBAAt(x/8, y/8))
		}
	}
	cases := map[string]*image.NRGBA{
		"opaque 1x1":      mk(1, 1, opaqueA),
		"opaque 13x9":     mk(13, 9, opaqueA),
		"magnified":       big,
		"translucent":     mk(6, 4, func() uint8 { return uint8(rng.UintN(256)) }),
		"sub-image":       mk(20, 10, opaqueA).SubImage(image.Rect(3, 2, 11, 9)).(*image.NRGBA),
		"one transparent": func() *image.NRGBA { m := mk(5, 5, opaqueA); m.Pix[4*12+3] = 0; return m }(),
	}
	for name, img := range cases {
		var buf bytes.Buffer
		if err := EncodePNG(&buf, img); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got, err := png.Decode(&buf)
		if err != nil {
			t.Fatalf("%s: decode: %v", name, err)
		}
		b := img.Bounds()
		if got.Bounds().Dx() != b.Dx() || got.Bounds().Dy() != b.Dy() {
			t.Fatalf("%s: decoded %v, want %v", name, got.Bounds(), b)
		}
		for y := 0; y < b.Dy(); y++ {
			for x := 0; x < b.Dx(); x++ {
				want := img.NRGBAAt(b.Min.X+x, b.Min.Y+y)
				g := color.NRGBAModel.Convert(got.At(got.Bounds().Min.X+x, got.Bounds().Min.Y+y)).(color.NRGBA)
				if want.A == 0 {
					if g.A != 0 {
						t.Fatalf("%s: (%d,%d) = %v, want transparent", name, x, y, g)
					}
					continue
				}
				if g != want {
					t.Fatalf("%s: (%d,%d) = %v, want %v", name, x, y, g, want)
				}
			}
		}
	}
}

// BenchmarkEncodePNG compares the fixed-filter RGB encoder with image/png on a
// magnified 64×64 heatmap of the CLI's size.
func BenchmarkEncodePNG(b *testing.B) {
	data := make([]float64, 64*64)
	for i := range data {
		data[i] = float64(i%64) * float64(i/64)
	}
	img, err := Heatmap(data, 64, 64, Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("rgb-up", func(b *testing.B) {
		var buf bytes.Buffer
		for b.Loop() {
			buf.Reset()
			if err := EncodePNG(&buf, img); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(buf.Len()), "bytes")
	})
	b.Run("image-png", func(b *testing.B) {
		var buf bytes.Buffer
		for b.Loop() {
			buf.Reset()
			if err := encoder.Encode(&buf, img); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(buf.Len()), "bytes")
	})
}
