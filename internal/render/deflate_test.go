package render

import (
	"bytes"
	"compress/flate"
	"compress/zlib"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stemflow/stemflow/array"
)

// rfcDistance returns distance d's code and extra bits from the table of RFC 1951
// section 3.2.5, written out.
func rfcDistance(d int) (code int, extra uint, base int) {
	bases := []int{1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769,
		1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577}
	extras := []uint{0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13}
	for c := len(bases) - 1; c >= 0; c-- {
		if d >= bases[c] {
			return c, extras[c], bases[c]
		}
	}
	panic("distance < 1")
}

// TestDistanceCode compares distanceCode with the RFC's table for every distance.
func TestDistanceCode(t *testing.T) {
	for d := 1; d <= 32768; d++ {
		c, extra, base := rfcDistance(d)
		rev := 0
		for i := 0; i < 5; i++ { // the 5-bit code, most significant bit first
			rev |= (c >> (4 - i) & 1) << i
		}
		want := uint32(rev) | uint32(d-base)<<5
		got, n := distanceCode(d)
		if got != want || n != 5+extra {
			t.Fatalf("distance %d: %#x/%d bits, want %#x/%d", d, got, n, want, 5+extra)
		}
	}
}

// TestMatchesInflate writes hand-made streams — literals, then one copy of n bytes
// from distance d — and inflates them with compress/flate: every length 3…600
// (matches longer than 258 are split) at a few distances, every distance code.
func TestMatchesInflate(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	dists := []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 13, 16, 17, 24, 25, 100, 257, 385, 1000, 1025, 4097, 8193, 16384, 24577, 32768}
	for _, d := range dists {
		lengths := []int{3, 4, 10, 11, 258, 259, 260, 261, 262, 600}
		if d == 3 || d == 1000 {
			lengths = nil
			for n := 3; n <= 600; n++ {
				lengths = append(lengths, n)
			}
		}
		for _, n := range lengths {
			prefix := make([]byte, d)
			for i := range prefix {
				prefix[i] = byte(rng.UintN(256))
			}
			bw := bitWriter{}
			bw.put(1|1<<1, 3)
			for _, c := range prefix {
				bw.literal(c)
			}
			dc, dn := distanceCode(d)
			bw.match(n, dc, dn)
			bw.literal(0xab)
			l := fixedLit[256]
			bw.put(l&0xffff, uint(l>>16))
			bw.flush()
			want := append([]byte(nil), prefix...)
			for i := 0; i < n; i++ {
				want = append(want, want[len(want)-d])
			}
			want = append(want, 0xab)
			got, err := io.ReadAll(flate.NewReader(bytes.NewReader(bw.out)))
			if err != nil {
				t.Fatalf("d %d n %d: inflate: %v", d, n, err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("d %d n %d: inflated %d bytes, want %d (first difference at %d)", d, n, len(got), len(want), firstDiff(got, want))
			}
		}
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// TestDeflateRowsZlib inflates the stream of deflateRows with compress/zlib (which
// checks the Adler-32) and compares it with the scanlines built directly: filter
// byte 0, then R, G, B of every pixel. Pictures: random, banded (equal rows),
// runs longer than 258 bytes, one wider than the 32 KiB window (no matches
// against the row above) and one tall enough for the Adler sums to wrap many times.
func TestDeflateRowsZlib(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	palette := []color.NRGBA{{255, 255, 255, 255}, {0, 0, 0, 255}, {10, 200, 30, 255}, {255, 255, 254, 255}}
	mk := func(w, h int, px func(x, y int) color.NRGBA) *image.NRGBA {
		img := image.NewNRGBA(image.Rect(0, 0, w, h))
		for y := range h {
			for x := range w {
				img.SetNRGBA(x, y, px(x, y))
			}
		}
		return img
	}
	randC := func() color.NRGBA {
		return color.NRGBA{uint8(rng.UintN(256)), uint8(rng.UintN(256)), uint8(rng.UintN(256)), 255}
	}
	cells := make([]color.NRGBA, 64)
	for i := range cells {
		cells[i] = palette[rng.IntN(len(palette))]
	}
	for _, tc := range []struct {
		name string
		img  *image.NRGBA
	}{
		{"1x1", mk(1, 1, func(x, y int) color.NRGBA { return randC() })},
		{"random 37x23", mk(37, 23, func(x, y int) color.NRGBA { return randC() })},
		{"bands", mk(90, 70, func(x, y int) color.NRGBA { return cells[(y/9)*8+(x/12)%8] })},
		{"long runs", mk(400, 5, func(x, y int) color.NRGBA { return palette[(x/173+y)%len(palette)] })},
		{"wide", mk(11000, 3, func(x, y int) color.NRGBA { return palette[(x/7)%2] })},
		{"wide random", mk(11000, 2, func(x, y int) color.NRGBA { return randC() })},
		{"tall", mk(3, 30000, func(x, y int) color.NRGBA { return palette[(y/5)%len(palette)] })},
		{"near-equal rows", mk(64, 64, func(x, y int) color.NRGBA {
			if x == y {
				return palette[1]
			}
			return palette[0]
		})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			img := tc.img
			w, h := img.Rect.Dx(), img.Rect.Dy()
			var want []byte
			for y := range h {
				want = append(want, 0)
				for x := range w {
					c := img.NRGBAAt(x, y)
					want = append(want, c.R, c.G, c.B)
				}
			}
			out := deflateRows(nil, w, h, func(y int) []byte { return img.Pix[y*img.Stride : (y+1)*img.Stride] })
			zr, err := zlib.NewReader(bytes.NewReader(out))
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(zr)
			if err != nil {
				t.Fatalf("inflate: %v", err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("inflated %d bytes, want %d (first difference at %d)", len(got), len(want), firstDiff(got, want))
			}
		})
	}
}

// decodeNRGBA decodes a PNG and returns it as NRGBA.
func decodeNRGBA(t *testing.T, b []byte) *image.NRGBA {
	t.Helper()
	m, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	out := image.NewNRGBA(m.Bounds())
	for y := m.Bounds().Min.Y; y < m.Bounds().Max.Y; y++ {
		for x := m.Bounds().Min.X; x < m.Bounds().Max.X; x++ {
			out.SetNRGBA(x, y, color.NRGBAModel.Convert(m.At(x, y)).(color.NRGBA))
		}
	}
	return out
}

// sameImage fails unless a and b have the same bounds and pixels.
func sameImage(t *testing.T, name string, got, want *image.NRGBA) {
	t.Helper()
	if got.Rect != want.Rect {
		t.Fatalf("%s: bounds %v, want %v", name, got.Rect, want.Rect)
	}
	for y := want.Rect.Min.Y; y < want.Rect.Max.Y; y++ {
		for x := want.Rect.Min.X; x < want.Rect.Max.X; x++ {
			if g, w := got.NRGBAAt(x, y), want.NRGBAAt(x, y); g != w {
				t.Fatalf("%s: pixel (%d, %d) = %v, want %v", name, x, y, g, w)
			}
		}
	}
}

// TestEncodeHeatmapField checks that the PNGs rendered row by row decode to the
// pictures of Heatmap and Field (whose pixels the other tests check against
// hand-computed colours), for linear and log scales, NaN and infinite values,
// a custom map and several magnifications; and that the heatmap's data cells and
// bar ends have the independently expected colours.
func TestEncodeHeatmapField(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, tc := range []struct {
		h, w int
		opt  Options
	}{
		{64, 64, Options{}}, {3, 5, Options{}}, {17, 9, Options{Log: true}}, {1, 1, Options{}},
		{40, 30, Options{MinSize: 16}}, {8, 8, Options{Map: func(t float64) color.NRGBA { return color.NRGBA{uint8(255 * t), 0, 0, 255} }}},
		{300, 2, Options{}},
	} {
		name := fmt.Sprintf("%dx%d %+v", tc.h, tc.w, tc.opt.Log)
		n := tc.h * tc.w
		data := make([]float64, n)
		fy, fx := make([]float64, n), make([]float64, n)
		for i := range data {
			data[i] = rng.NormFloat64() * 100
			fy[i], fx[i] = rng.NormFloat64(), rng.NormFloat64()
		}
		if n > 4 {
			data[1], data[2], data[3] = math.NaN(), math.Inf(1), math.Inf(-1)
			fy[2] = math.NaN()
		}
		var buf bytes.Buffer
		if err := EncodeHeatmap(&buf, data, tc.h, tc.w, tc.opt); err != nil {
			t.Fatal(err)
		}
		want, err := Heatmap(data, tc.h, tc.w, tc.opt)
		if err != nil {
			t.Fatal(err)
		}
		got := decodeNRGBA(t, buf.Bytes())
		sameImage(t, "heatmap "+name, got, want)
		if tc.opt.Map == nil && !tc.opt.Log && n > 4 {
			// independent expectation: min/max of the finite values
			lo, hi := math.Inf(1), math.Inf(-1)
			for _, v := range data {
				if !math.IsNaN(v) && !math.IsInf(v, 0) {
					lo, hi = min(lo, v), max(hi, v)
				}
			}
			scale := magnification(tc.h, tc.w, tc.opt.MinSize)
			for i, v := range data {
				wantC := NaNColor
				switch {
				case math.IsInf(v, 1):
					wantC = Viridis(1)
				case math.IsInf(v, -1):
					wantC = Viridis(0)
				case !math.IsNaN(v):
					wantC = Viridis((v - lo) / (hi - lo))
				}
				if g := got.NRGBAAt(margin+(i%tc.w)*scale, margin+(i/tc.w)*scale); g != wantC {
					t.Fatalf("%s: cell %d (%v) = %v, want %v", name, i, v, g, wantC)
				}
			}
			barX := margin + tc.w*scale + gap
			if g := got.NRGBAAt(barX, margin); g != Viridis(1) {
				t.Fatalf("%s: bar top %v", name, g)
			}
		}
		buf.Reset()
		if err := EncodeField(&buf, fy, fx, tc.h, tc.w, tc.opt); err != nil {
			t.Fatal(err)
		}
		wantF, err := Field(fy, fx, tc.h, tc.w, tc.opt)
		if err != nil {
			t.Fatal(err)
		}
		sameImage(t, "field "+name, decodeNRGBA(t, buf.Bytes()), wantF)
	}
	if err := EncodeHeatmap(io.Discard, make([]float64, 5), 2, 3, Options{}); err == nil {
		t.Error("EncodeHeatmap accepted 5 values for 2×3")
	}
	if err := EncodeField(io.Discard, make([]float64, 6), make([]float64, 5), 2, 3, Options{}); err == nil {
		t.Error("EncodeField accepted 5 x values for 2×3")
	}
}

// FuzzEncodeRGB encodes arbitrary opaque pictures and checks that image/png
// decodes them to the same pixels.
func FuzzEncodeRGB(f *testing.F) {
	f.Add(uint8(3), []byte{1, 2, 3, 4, 5, 6, 7, 8, 9})
	f.Add(uint8(1), []byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Add(uint8(200), bytes.Repeat([]byte{9, 9, 9, 1}, 500))
	f.Fuzz(func(t *testing.T, w8 uint8, pix []byte) {
		w := int(w8)%64 + 1
		h := len(pix) / 3 / w
		if h == 0 || h > 512 {
			return
		}
		img := image.NewNRGBA(image.Rect(0, 0, w, h))
		for i := range w * h {
			img.Pix[4*i], img.Pix[4*i+1], img.Pix[4*i+2], img.Pix[4*i+3] = pix[3*i], pix[3*i+1], pix[3*i+2], 255
		}
		var buf bytes.Buffer
		if err := EncodePNG(&buf, img); err != nil {
			t.Fatal(err)
		}
		sameImage(t, "fuzz", decodeNRGBA(t, buf.Bytes()), img)
	})
}

// Float64s returns a contiguous float64 array's own values and converts
// everything else, views included, into C order.
func TestFloat64s(t *testing.T) {
	d := array.Wrap([]float64{1, 2, 3, 4, 5, 6}, 2, 3)
	for _, tc := range []struct {
		name string
		a    array.Array
		want []float64
	}{
		{"float64", d, []float64{1, 2, 3, 4, 5, 6}},
		{"transposed", d.Transpose(), []float64{1, 4, 2, 5, 3, 6}},
		{"float32", array.Wrap([]float32{1.5, -2}, 2), []float64{1.5, -2}},
		{"bool", array.Wrap([]bool{true, false}, 2), []float64{1, 0}},
		{"complex", array.Wrap([]complex128{3 + 4i}, 1), []float64{5}},
	} {
		got, err := Float64s(tc.a)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, %v; want %v", tc.name, got, err, tc.want)
		}
	}
}
