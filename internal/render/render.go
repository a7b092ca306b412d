package render

import (
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/color"
	"io"
	"math"
	"strconv"
)

// ErrShape reports data whose length does not match the stated rows × columns, or a
// non-positive dimension.
var ErrShape = errors.New("render: data length does not match shape")

// Options control how an array becomes a picture. The zero value renders with
// Viridis on a linear scale, magnified to at least DefaultMinSize pixels.
type Options struct {
	// Log renders on a log10 scale. Values ≤ 0 take the colour of the smallest
	// positive value; when no value is positive the scale falls back to linear.
	Log bool
	// Map is the colour map of Heatmap; nil means Viridis.
	Map ColorMap
	// MinSize is the number of pixels the longer side of the data is magnified to
	// at least (by an integer factor, nearest neighbour); 0 means DefaultMinSize.
	MinSize int
}

// DefaultMinSize is the default of Options.MinSize.
const DefaultMinSize = 256

// Layout constants (pixels).
const (
	margin    = 8  // around everything
	gap       = 10 // between the data and the colour bar or wheel
	barWidth  = 16 // width of the colour bar
	textScale = 2  // label font magnification
	labelGap  = 6  // between the bar and its labels
)

var (
	background = color.NRGBA{R: 255, G: 255, B: 255, A: 255}
	ink        = color.NRGBA{A: 255}
)

// scaler maps data values to [0, 1] on a linear or log10 scale. lo and hi are the
// data values at the two ends (finite), log says whether the log scale is in use,
// and ok is false when the data hold no finite value at all.
type scaler struct {
	lo, hi float64
	log    bool
	ok     bool
}

// newScaler finds the range of the finite values of data. With wantLog it uses the
// smallest positive finite value as the lower end and a log10 scale, unless no
// value is positive.
func newScaler(data []float64, wantLog bool) scaler {
	s := scaler{lo: math.Inf(1), hi: math.Inf(-1)}
	posLo := math.Inf(1)
	for _, v := range data {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			continue
		}
		s.ok = true
		s.lo = math.Min(s.lo, v)
		s.hi = math.Max(s.hi, v)
		if v > 0 {
			posLo = math.Min(posLo, v)
		}
	}
	if wantLog && !math.IsInf(posLo, 1) {
		s.log = true
		s.lo = posLo
	}
	return s
}

// t maps v to [0, 1]: NaN stays NaN, +Inf goes to 1, -Inf to 0, and a constant
// data range maps every finite value to 0.5.
func (s scaler) t(v float64) float64 {
	switch {
	case math.IsNaN(v):
		return v
	case math.IsInf(v, 1):
		return 1
	case math.IsInf(v, -1):
		return 0
	}
	lo, hi := s.lo, s.hi
	if s.log {
		if v < lo {
			v = lo
		}
		v, lo, hi = math.Log10(v), math.Log10(lo), math.Log10(hi)
	}
	if hi == lo {
		return 0.5
	}
	return clamp01((v - lo) / (hi - lo))
}

// formatLabel writes v with four significant digits.
func formatLabel(v float64) string {
	return strconv.FormatFloat(v, 'g', 4, 64)
}

// magnification returns the integer factor that brings max(h, w) to at least minSize.
func magnification(h, w, minSize int) int {
	if minSize <= 0 {
		minSize = DefaultMinSize
	}
	m := max(h, w)
	return max(1, (minSize+m-1)/m)
}

func checkShape(n, h, w int) error {
	if h <= 0 || w <= 0 || n != h*w {
		return fmt.Errorf("%w: %d values for %d×%d", ErrShape, n, h, w)
	}
	return nil
}

// picture describes a rendered picture row by row: a white canvas, the data area
// (h×w values magnified by scale at origin), what is drawn over it (the colour bar
// or the wheel legend) and the text. Rows are rendered on demand, so a picture can
// be encoded straight from its description with two row buffers instead of a
// whole canvas in memory (which a short process pays for in page faults), and
// Heatmap and Field materialise the same rows into an image.
type picture struct {
	width, height int
	origin        image.Point
	h, w, scale   int
	colour        func(i int) color.NRGBA // of data value i
	over          func(y int, row []byte) // drawn over row y after the data
	texts         []text

	white  []byte   // one white row
	cache  []uint32 // the colours of data row cacheR
	cacheR int
}

// text is one label: s at (x, y), font magnification textScale, colour ink.
type text struct {
	x, y int
	s    string
}

// newPicture lays out a white picture holding an h×w data area magnified by scale
// plus a side panel of width side, with the data area's top-left corner at
// (margin, margin).
func newPicture(h, w, scale, side int) *picture {
	plotH := h * scale
	minH := 4*textHeight(textScale) + 3*margin
	p := &picture{
		width:  margin + w*scale + gap + side + margin,
		height: margin + max(plotH, minH) + margin,
		origin: image.Pt(margin, margin),
		h:      h, w: w, scale: scale, cacheR: -1,
	}
	p.white = make([]byte, 4*p.width)
	for i := range p.white {
		p.white[i] = 255
	}
	return p
}

// putPixels sets pixels [x0, x1) of an NRGBA row to c, clipped to the row.
func putPixels(row []byte, x0, x1 int, c color.NRGBA) {
	x0, x1 = max(x0, 0), min(x1, len(row)/4)
	v := uint32(c.R) | uint32(c.G)<<8 | uint32(c.B)<<16 | uint32(c.A)<<24
	for x := x0; x < x1; x++ {
		binary.LittleEndian.PutUint32(row[4*x:], v)
	}
}

// row renders row y (0 ≤ y < height) into dst (4·width bytes).
func (p *picture) row(y int, dst []byte) {
	copy(dst, p.white)
	if r := y - p.origin.Y; r >= 0 && r < p.h*p.scale {
		r /= p.scale
		if p.cacheR != r {
			if len(p.cache) < p.w {
				p.cache = make([]uint32, p.w)
			}
			for c := 0; c < p.w; c++ {
				v := p.colour(r*p.w + c)
				p.cache[c] = uint32(v.R) | uint32(v.G)<<8 | uint32(v.B)<<16 | uint32(v.A)<<24
			}
			p.cacheR = r
		}
		for c := 0; c < p.w; c++ {
			x0 := p.origin.X + c*p.scale
			v := p.cache[c]
			for x := x0; x < x0+p.scale; x++ {
				binary.LittleEndian.PutUint32(dst[4*x:], v)
			}
		}
	}
	if p.over != nil {
		p.over(y, dst)
	}
	for _, t := range p.texts {
		textRow(dst, y, t.x, t.y, t.s, textScale, ink)
	}
}

// image renders the whole picture.
func (p *picture) image() *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, p.width, p.height))
	for y := 0; y < p.height; y++ {
		p.row(y, img.Pix[y*img.Stride:y*img.Stride+4*p.width])
	}
	return img
}

// encode writes the picture as a PNG (see encodeRGB) without materialising it.
func (p *picture) encode(w io.Writer) error {
	bufs := [2][]byte{make([]byte, 4*p.width), make([]byte, 4*p.width)}
	return encodeRows(w, p.width, p.height, func(y int) []byte {
		b := bufs[y&1]
		p.row(y, b)
		return b
	})
}

// logCaption is written beside the colour bar of a log-scale heatmap, in the wide
// capitals of the font.
const logCaption = "LOG"

// heatmap lays out the picture of Heatmap.
func heatmap(data []float64, h, w int, opt Options) (*picture, error) {
	if err := checkShape(len(data), h, w); err != nil {
		return nil, err
	}
	cmap := opt.Map
	if cmap == nil {
		cmap = Viridis
	}
	s := newScaler(data, opt.Log)
	loLabel, hiLabel := "NaN", "NaN"
	if s.ok {
		loLabel, hiLabel = formatLabel(s.lo), formatLabel(s.hi)
	}
	labelW := max(textWidth(loLabel, textScale), textWidth(hiLabel, textScale), textWidth(logCaption, textScale))
	scale := magnification(h, w, opt.MinSize)
	p := newPicture(h, w, scale, barWidth+labelGap+labelW)
	o := p.origin
	p.colour = func(i int) color.NRGBA {
		v := data[i]
		if math.IsNaN(v) {
			return NaNColor
		}
		return cmap(s.t(v))
	}
	// Colour bar: as tall as the data area (or the minimum canvas), top = 1.
	barH := p.height - 2*margin
	barX := o.X + w*scale + gap
	p.over = func(y int, row []byte) {
		r := y - o.Y
		if r < 0 || r >= barH {
			return
		}
		t := 1.0
		if barH > 1 {
			t = 1 - float64(r)/float64(barH-1)
		}
		putPixels(row, barX, barX+barWidth, cmap(t))
	}
	textX := barX + barWidth + labelGap
	p.texts = []text{{textX, o.Y, hiLabel}, {textX, o.Y + barH - textHeight(textScale), loLabel}}
	if s.log {
		p.texts = append(p.texts, text{textX, o.Y + (barH-textHeight(textScale))/2, logCaption})
	}
	return p, nil
}

// Heatmap renders data, h rows by w columns in row-major order, as a picture: the
// data magnified by an integer factor, each value coloured by opt.Map, and to the
// right a colour bar labelled with the data maximum (top) and minimum (bottom) —
// "LOG" between them on a log scale. NaN is drawn in NaNColor, +Inf and -Inf in the
// colours of the maximum and minimum. It returns ErrShape when len(data) != h*w.
func Heatmap(data []float64, h, w int, opt Options) (*image.NRGBA, error) {
	p, err := heatmap(data, h, w, opt)
	if err != nil {
		return nil, err
	}
	return p.image(), nil
}

// EncodeHeatmap writes the picture of Heatmap(data, h, w, opt) to out as a PNG,
// with one Write, rendering it row by row into the encoder instead of into an
// image: the same pixels, without a whole picture in memory.
func EncodeHeatmap(out io.Writer, data []float64, h, w int, opt Options) error {
	p, err := heatmap(data, h, w, opt)
	if err != nil {
		return err
	}
	if err := p.encode(out); err != nil {
		return fmt.Errorf("encode png: %w", err)
	}
	return nil
}

// FieldColor is the colour of the vector (vy, vx) whose brightness b ∈ [0, 1] has been
// scaled already: the hue is the direction, measured from +x (red, 0°) towards +y
// (90°, yellow-green; +y points down the picture), the value is b, saturation is 1.
func FieldColor(vy, vx, b float64) color.NRGBA {
	if math.IsNaN(vy) || math.IsNaN(vx) || math.IsNaN(b) {
		return NaNColor
	}
	return HSV(math.Atan2(vy, vx)*180/math.Pi, 1, b)
}

// field lays out the picture of Field.
func field(fy, fx []float64, h, w int, opt Options) (*picture, error) {
	if err := checkShape(len(fy), h, w); err != nil {
		return nil, fmt.Errorf("field y: %w", err)
	}
	if err := checkShape(len(fx), h, w); err != nil {
		return nil, fmt.Errorf("field x: %w", err)
	}
	mag := make([]float64, len(fy))
	for i := range mag {
		mag[i] = math.Hypot(fy[i], fx[i])
	}
	s := newScaler(mag, opt.Log)
	if !s.log {
		s.lo = 0 // brightness is magnitude / max on the linear scale
	}
	maxLabel := "max NaN"
	if s.ok {
		maxLabel = "max " + formatLabel(s.hi)
	}
	scale := magnification(h, w, opt.MinSize)
	plotH := h * scale
	radius := min(40, max(8, plotH/4))
	side := max(2*radius+1, textWidth(maxLabel, textScale), textWidth(logCaption, textScale))
	p := newPicture(h, w, scale, side)
	o := p.origin
	p.colour = func(i int) color.NRGBA {
		if math.IsNaN(mag[i]) {
			return NaNColor
		}
		b := 0.0
		if s.ok && s.hi > 0 {
			b = s.t(mag[i])
		}
		return FieldColor(fy[i], fx[i], b)
	}
	// Legend: a wheel whose pixel at offset (dy, dx) from the centre shows the
	// colour of a vector pointing that way with magnitude dist/radius × max.
	cx := o.X + w*scale + gap + radius
	cy := o.Y + radius
	p.over = func(y int, row []byte) {
		dy := y - cy
		if dy < -radius || dy > radius {
			return
		}
		for dx := -radius; dx <= radius; dx++ {
			d := math.Hypot(float64(dy), float64(dx))
			if d > float64(radius) {
				continue
			}
			putPixels(row, cx+dx, cx+dx+1, FieldColor(float64(dy), float64(dx), d/float64(radius)))
		}
	}
	textY := cy + radius + margin
	p.texts = []text{{o.X + w*scale + gap, textY, maxLabel}}
	if s.log {
		p.texts = append(p.texts, text{o.X + w*scale + gap, textY + textHeight(textScale) + margin, logCaption})
	}
	return p, nil
}

// Field renders the 2-vector field (fy[i], fx[i]), h rows by w columns in row-major
// order, as a colour-wheel picture: hue = direction (see FieldColor), brightness =
// magnitude relative to the largest (on a log10 scale with opt.Log). A colour wheel
// legend and the largest magnitude are drawn to the right. A position where either
// component is NaN is drawn in NaNColor. opt.Map is not used.
func Field(fy, fx []float64, h, w int, opt Options) (*image.NRGBA, error) {
	p, err := field(fy, fx, h, w, opt)
	if err != nil {
		return nil, err
	}
	return p.image(), nil
}

// EncodeField writes the picture of Field(fy, fx, h, w, opt) to out as a PNG,
// rendered row by row into the encoder (see EncodeHeatmap).
func EncodeField(out io.Writer, fy, fx []float64, h, w int, opt Options) error {
	p, err := field(fy, fx, h, w, opt)
	if err != nil {
		return err
	}
	if err := p.encode(out); err != nil {
		return fmt.Errorf("encode png: %w", err)
	}
	return nil
}
