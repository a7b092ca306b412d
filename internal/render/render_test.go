package render

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// The five control points matplotlib publishes for viridis (its documentation and
// the BIDS colormap repository): #440154, #3b528b, #21918c, #5ec962, #fde725.
func TestViridisControlPoints(t *testing.T) {
	tests := []struct {
		t    float64
		want color.NRGBA
	}{
		{0, color.NRGBA{0x44, 0x01, 0x54, 255}},
		{0.25, color.NRGBA{0x3b, 0x52, 0x8b, 255}},
		{0.5, color.NRGBA{0x21, 0x91, 0x8c, 255}},
		{0.75, color.NRGBA{0x5e, 0xc9, 0x62, 255}},
		{1, color.NRGBA{0xfd, 0xe7, 0x25, 255}},
		{-3, color.NRGBA{0x44, 0x01, 0x54, 255}}, // clamped
		{7, color.NRGBA{0xfd, 0xe7, 0x25, 255}},  // clamped
		// matplotlib picks entry ⌊t·256⌋ of its 256 colours: just below 0.5 is
		// entry 127, (0.128729, 0.563265, 0.551229) in the published data, and
		// 1/256 is entry 1, (0.268510, 0.009605, 0.335427); rounded to 8 bits
		{0.4999, color.NRGBA{33, 144, 141, 255}},
		{1.0 / 256, color.NRGBA{68, 2, 86, 255}},
		{0.999, color.NRGBA{0xfd, 0xe7, 0x25, 255}},
	}
	for _, tc := range tests {
		if got := Viridis(tc.t); got != tc.want {
			t.Errorf("Viridis(%v) = %v, want %v", tc.t, got, tc.want)
		}
	}
}

func maxChannelDiff(a, b color.NRGBA) int {
	d := 0
	for _, p := range [][2]uint8{{a.R, b.R}, {a.G, b.G}, {a.B, b.B}, {a.A, b.A}} {
		d = max(d, absInt(int(p[0])-int(p[1])))
	}
	return d
}

func absInt(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// A perceptual map must get lighter monotonically: check the relative luminance
// (Rec. 709 weights on linearised sRGB).
func TestViridisLuminanceIncreases(t *testing.T) {
	lin := func(c uint8) float64 {
		v := float64(c) / 255
		if v <= 0.04045 {
			return v / 12.92
		}
		return math.Pow((v+0.055)/1.055, 2.4)
	}
	prev := -1.0
	for i := 0; i <= 64; i++ {
		c := Viridis(float64(i) / 64)
		y := 0.2126*lin(c.R) + 0.7152*lin(c.G) + 0.0722*lin(c.B)
		if y <= prev {
			t.Fatalf("luminance not increasing at t=%v: %v after %v", float64(i)/64, y, prev)
		}
		prev = y
	}
}

func TestNaNColorIsDistinct(t *testing.T) {
	if got := Viridis(math.NaN()); got != NaNColor {
		t.Fatalf("Viridis(NaN) = %v, want NaNColor %v", got, NaNColor)
	}
	for i := 0; i <= 1024; i++ {
		if d := maxChannelDiff(Viridis(float64(i)/1024), NaNColor); d < 40 {
			t.Fatalf("Viridis(%v) within %d of NaNColor", float64(i)/1024, d)
		}
	}
}

func TestHSV(t *testing.T) {
	tests := []struct {
		h, s, v float64
		want    color.NRGBA
	}{
		{0, 1, 1, color.NRGBA{255, 0, 0, 255}},
		{60, 1, 1, color.NRGBA{255, 255, 0, 255}},
		{120, 1, 1, color.NRGBA{0, 255, 0, 255}},
		{180, 1, 1, color.NRGBA{0, 255, 255, 255}},
		{240, 1, 1, color.NRGBA{0, 0, 255, 255}},
		{300, 1, 1, color.NRGBA{255, 0, 255, 255}},
		{360, 1, 1, color.NRGBA{255, 0, 0, 255}},
		{-120, 1, 1, color.NRGBA{0, 0, 255, 255}},
		{90, 1, 1, color.NRGBA{128, 255, 0, 255}},
		{0, 1, 0.5, color.NRGBA{128, 0, 0, 255}},
		{200, 0, 0.5, color.NRGBA{128, 128, 128, 255}},
		{30, 1, 0, color.NRGBA{0, 0, 0, 255}},
	}
	for _, tc := range tests {
		if got := HSV(tc.h, tc.s, tc.v); got != tc.want {
			t.Errorf("HSV(%v,%v,%v) = %v, want %v", tc.h, tc.s, tc.v, got, tc.want)
		}
	}
}

// dataPixel returns the colour at the centre of data cell (r, c) of a picture
// made with magnification scale.
func dataPixel(img *image.NRGBA, r, c, scale int) color.NRGBA {
	return img.NRGBAAt(margin+c*scale+scale/2, margin+r*scale+scale/2)
}

func TestHeatmapLinear(t *testing.T) {
	data := []float64{0, 1, 2, 3, 4, 5, math.NaN(), math.Inf(1), math.Inf(-1)}
	img, err := Heatmap(data, 3, 3, Options{})
	if err != nil {
		t.Fatal(err)
	}
	scale := (DefaultMinSize + 2) / 3 // ceil(256/3) = 86
	// finite range is [0, 5]
	want := []color.NRGBA{
		Viridis(0), Viridis(0.2), Viridis(0.4),
		Viridis(0.6), Viridis(0.8), Viridis(1),
		NaNColor, Viridis(1), Viridis(0),
	}
	for i, w := range want {
		if got := dataPixel(img, i/3, i%3, scale); got != w {
			t.Errorf("cell %d = %v, want %v", i, got, w)
		}
	}
	// the whole magnified cell has one colour
	if a, b := img.NRGBAAt(margin, margin), img.NRGBAAt(margin+scale-1, margin+scale-1); a != b {
		t.Errorf("cell (0,0) not uniform: %v vs %v", a, b)
	}
	if got := img.NRGBAAt(margin+scale, margin); got != Viridis(0.2) {
		t.Errorf("first pixel of cell (0,1) = %v, want %v", got, Viridis(0.2))
	}
	// colour bar: top is the maximum colour, bottom the minimum
	barX := margin + 3*scale + gap + barWidth/2
	if got := img.NRGBAAt(barX, margin); got != Viridis(1) {
		t.Errorf("bar top = %v, want %v", got, Viridis(1))
	}
	if got := img.NRGBAAt(barX, img.Rect.Dy()-margin-1); got != Viridis(0) {
		t.Errorf("bar bottom = %v, want %v", got, Viridis(0))
	}
	// labels: "5" at the top right of the bar, "0" at the bottom, as glyph pixels
	textX := margin + 3*scale + gap + barWidth + labelGap
	checkGlyph(t, img, textX, margin, '5')
	checkGlyph(t, img, textX, img.Rect.Dy()-margin-textHeight(textScale), '0')
}

// checkGlyph compares the picture at (x, y) with the hand-written bitmap of r.
func checkGlyph(t *testing.T, img *image.NRGBA, x, y int, r rune) {
	t.Helper()
	g := glyphs[r]
	for gy := 0; gy < glyphH; gy++ {
		for gx := 0; gx < glyphW; gx++ {
			want := background
			if g[gy][gx] == '#' {
				want = ink
			}
			for _, d := range [][2]int{{0, 0}, {textScale - 1, textScale - 1}} {
				px, py := x+gx*textScale+d[0], y+gy*textScale+d[1]
				if got := img.NRGBAAt(px, py); got != want {
					t.Fatalf("glyph %q pixel (%d,%d) at (%d,%d) = %v, want %v", r, gx, gy, px, py, got, want)
				}
			}
		}
	}
}

func TestHeatmapLog(t *testing.T) {
	tests := []struct {
		name string
		data []float64
		want []float64 // expected t per cell, NaN = NaNColor
		log  bool
	}{
		{"decades", []float64{1, 10, 100, 1000}, []float64{0, 1.0 / 3, 2.0 / 3, 1}, true},
		{"zero and negative clamp to smallest positive", []float64{-5, 0, 10, 100}, []float64{0, 0, 0, 1}, true},
		{"no positive value falls back to linear", []float64{-4, -3, -2, 0}, []float64{0, 0.25, 0.5, 1}, false},
		{"constant", []float64{7, 7, 7, 7}, []float64{0.5, 0.5, 0.5, 0.5}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			img, err := Heatmap(tc.data, 2, 2, Options{Log: true, MinSize: 8})
			if err != nil {
				t.Fatal(err)
			}
			for i, tv := range tc.want {
				if got, want := dataPixel(img, i/2, i%2, 4), Viridis(tv); got != want {
					t.Errorf("cell %d = %v, want Viridis(%v) = %v", i, got, tv, want)
				}
			}
			s := newScaler(tc.data, true)
			if s.log != tc.log {
				t.Errorf("log scale used = %v, want %v", s.log, tc.log)
			}
		})
	}
}

func TestHeatmapAllNaNAndCustomMap(t *testing.T) {
	grey := func(t float64) color.NRGBA { g := to8(t); return color.NRGBA{g, g, g, 255} }
	img, err := Heatmap([]float64{math.NaN(), math.NaN()}, 1, 2, Options{Map: grey, MinSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	if got := dataPixel(img, 0, 1, 1); got != NaNColor {
		t.Errorf("NaN cell = %v, want %v", got, NaNColor)
	}
	img, err = Heatmap([]float64{0, 10}, 1, 2, Options{Map: grey, MinSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	if got := dataPixel(img, 0, 1, 1); got != (color.NRGBA{255, 255, 255, 255}) {
		t.Errorf("max cell with grey map = %v, want white", got)
	}
}

func TestShapeErrors(t *testing.T) {
	tests := []struct {
		name string
		n    int
		h, w int
	}{
		{"short", 5, 2, 3},
		{"long", 7, 2, 3},
		{"zero rows", 0, 0, 3},
		{"negative", 3, -1, -3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := make([]float64, tc.n)
			if _, err := Heatmap(d, tc.h, tc.w, Options{}); !errors.Is(err, ErrShape) {
				t.Errorf("Heatmap: err = %v, want ErrShape", err)
			}
			if _, err := Field(d, d, tc.h, tc.w, Options{}); !errors.Is(err, ErrShape) {
				t.Errorf("Field: err = %v, want ErrShape", err)
			}
		})
	}
	if _, err := Field(make([]float64, 6), make([]float64, 5), 2, 3, Options{}); !errors.Is(err, ErrShape) {
		t.Errorf("Field with short x: err = %v, want ErrShape", err)
	}
}

func TestField(t *testing.T) {
	// magnitudes 2, 2, 1, 0, NaN, 2; the largest is 2
	fy := []float64{0, 2, 0, 0, math.NaN(), -math.Sqrt2}
	fx := []float64{2, 0, -1, 0, 1, -math.Sqrt2}
	want := []color.NRGBA{
		{255, 0, 0, 255},   // +x: hue 0, full brightness
		{128, 255, 0, 255}, // +y: hue 90
		{0, 128, 128, 255}, // -x: hue 180, half brightness
		{0, 0, 0, 255},     // zero vector: black
		NaNColor,
		{128, 0, 255, 255}, // (-1,-1) direction: hue -135 = 225... see below
	}
	// hue of (vy,vx) = (-√2,-√2) is atan2(-1,-1) = -135° ≡ 225°: between blue (240)
	// and cyan (180): R=0, G=255·(1-|225/60 mod 2 - 1|)=255·0.25, B=255.
	want[5] = color.NRGBA{0, 64, 255, 255}
	img, err := Field(fy, fx, 2, 3, Options{MinSize: 6})
	if err != nil {
		t.Fatal(err)
	}
	for i, w := range want {
		if got := dataPixel(img, i/3, i%3, 2); maxChannelDiff(got, w) > 1 {
			t.Errorf("cell %d = %v, want %v", i, got, w)
		}
	}
}

func TestFieldLog(t *testing.T) {
	// magnitudes 1, 10, 100 along +x: log brightness 0, 0.5, 1
	img, err := Field([]float64{0, 0, 0}, []float64{1, 10, 100}, 1, 3, Options{Log: true, MinSize: 3})
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range []uint8{0, 128, 255} {
		if got := dataPixel(img, 0, i, 1); got != (color.NRGBA{v, 0, 0, 255}) {
			t.Errorf("cell %d = %v, want red %d", i, got, v)
		}
	}
}

func TestWritePNG(t *testing.T) {
	dir := t.TempDir()
	img, err := Heatmap([]float64{1, 2, 3, 4}, 2, 2, Options{})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "a.png")
	if err := WritePNG(path, img); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	back, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if back.Bounds() != img.Bounds() {
		t.Fatalf("bounds %v, want %v", back.Bounds(), img.Bounds())
	}
	for _, p := range []image.Point{{margin, margin}, {img.Rect.Dx() - 1, img.Rect.Dy() - 1}, {margin + 200, margin + 200}} {
		r1, g1, b1, a1 := back.At(p.X, p.Y).RGBA()
		r2, g2, b2, a2 := img.At(p.X, p.Y).RGBA()
		if [4]uint32{r1, g1, b1, a1} != [4]uint32{r2, g2, b2, a2} {
			t.Errorf("pixel %v differs after round trip", p)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries, want only a.png", len(entries))
	}
	// a missing directory is an error naming the path, and leaves nothing behind
	bad := filepath.Join(dir, "missing", "b.png")
	if err := WritePNG(bad, img); err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("WritePNG into a missing dir: err = %v, want ErrNotExist", err)
	}
}

func TestTextWidth(t *testing.T) {
	tests := []struct {
		s     string
		scale int
		want  int
	}{
		{"", 2, 0},
		{"1", 1, 3},
		{"12", 1, 7},
		{"1.5e+03", 2, 2 * (7*4 - 1)},
	}
	for _, tc := range tests {
		if got := textWidth(tc.s, tc.scale); got != tc.want {
			t.Errorf("textWidth(%q,%d) = %d, want %d", tc.s, tc.scale, got, tc.want)
		}
	}
}

func TestUnknownRuneDrawsQuestionMark(t *testing.T) {
	img := image.NewNRGBA(image.Rect(0, 0, 20, 20))
	for i := range img.Pix {
		img.Pix[i] = 255 // background: opaque white
	}
	drawText(img, 1, 1, "Ω", textScale, ink)
	checkGlyph(t, img, 1, 1, '?')
}

func TestGlyphTableWellFormed(t *testing.T) {
	for r, g := range glyphs {
		for i, row := range g {
			if len(row) != glyphW {
				t.Errorf("glyph %q row %d has %d columns, want %d", r, i, len(row), glyphW)
			}
		}
	}
}

// EncodePNG's output decodes to the image's pixels.
func TestEncodePNGSamePixels(t *testing.T) {
	data := make([]float64, 40*30)
	for i := range data {
		data[i] = float64(i%97) * float64(i%13)
	}
	img, err := Heatmap(data, 40, 30, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := EncodePNG(&buf, img); err != nil {
		t.Fatal(err)
	}
	got, err := png.Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	b := img.Bounds()
	if got.Bounds() != b {
		t.Fatalf("bounds %v, want %v", got.Bounds(), b)
	}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if w, g := color.NRGBAModel.Convert(img.At(x, y)), color.NRGBAModel.Convert(got.At(x, y)); w != g {
				t.Fatalf("pixel (%d, %d) = %v, want %v", x, y, g, w)
			}
		}
	}
}

// The log caption is drawn in the 5-wide capitals, pixel for pixel.
func TestLogCaptionGlyphs(t *testing.T) {
	const scale = 1
	img := image.NewNRGBA(image.Rect(0, 0, textWidth(logCaption, scale), textHeight(scale)))
	drawText(img, 0, 0, logCaption, scale, ink)
	want := []string{
		"#......###...####",
		"#.....#...#.#....",
		"#.....#...#.#..##",
		"#.....#...#.#...#",
		"#####..###...###.",
	}
	if img.Rect.Dx() != len(want[0]) {
		t.Fatalf("caption width %d, want %d", img.Rect.Dx(), len(want[0]))
	}
	for y, row := range want {
		for x, c := range row {
			if got := img.NRGBAAt(x, y).A == 255; got != (c == '#') {
				t.Fatalf("pixel (%d, %d) inked %v, want %v", x, y, got, c == '#')
			}
		}
	}
}
