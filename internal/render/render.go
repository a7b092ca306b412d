package render

import (
	"errors"
	"fmt"
	"image"
	"image/color"
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

// canvas allocates a white picture holding an h×w data area magnified by scale plus
// a side panel of width side, and returns it with the data area's top-left corner.
func canvas(h, w, scale, side int) (*image.NRGBA, image.Point) {
	plotH := h * scale
	minH := 4*textHeight(textScale) + 3*margin
	width := margin + w*scale + gap + side + margin
	height := margin + max(plotH, minH) + margin
	img := image.NewNRGBA(image.Rect(0, 0, width, height))
	fillRect(img, 0, 0, width, height, background)
	return img, image.Pt(margin, margin)
}

// paint fills the magnified data area with colour(i) for each value index i.
func paint(img *image.NRGBA, origin image.Point, h, w, scale int, colour func(i int) color.NRGBA) {
	for r := 0; r < h; r++ {
		for c := 0; c < w; c++ {
			fillRect(img, origin.X+c*scale, origin.Y+r*scale, scale, scale, colour(r*w+c))
		}
	}
}

// logCaption is written beside the colour bar of a log-scale heatmap, in the wide
// capitals of the font.
const logCaption = "LOG"

// Heatmap renders data, h rows by w columns in row-major order, as a picture: the
// data magnified by an integer factor, each value coloured by opt.Map, and to the
// right a colour bar labelled with the data maximum (top) and minimum (bottom) —
// "LOG" between them on a log scale. NaN is drawn in NaNColor, +Inf and -Inf in the
// colours of the maximum and minimum. It returns ErrShape when len(data) != h*w.
func Heatmap(data []float64, h, w int, opt Options) (*image.NRGBA, error) {
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
	img, o := canvas(h, w, scale, barWidth+labelGap+labelW)
	paint(img, o, h, w, scale, func(i int) color.NRGBA {
		v := data[i]
		if math.IsNaN(v) {
			return NaNColor
		}
		return cmap(s.t(v))
	})

	// Colour bar: as tall as the data area (or the minimum canvas), top = 1.
	barH := img.Rect.Dy() - 2*margin
	barX := o.X + w*scale + gap
	for r := 0; r < barH; r++ {
		t := 1.0
		if barH > 1 {
			t = 1 - float64(r)/float64(barH-1)
		}
		fillRect(img, barX, o.Y+r, barWidth, 1, cmap(t))
	}
	textX := barX + barWidth + labelGap
	drawText(img, textX, o.Y, hiLabel, textScale, ink)
	drawText(img, textX, o.Y+barH-textHeight(textScale), loLabel, textScale, ink)
	if s.log {
		drawText(img, textX, o.Y+(barH-textHeight(textScale))/2, logCaption, textScale, ink)
	}
	return img, nil
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

// Field renders the 2-vector field (fy[i], fx[i]), h rows by w columns in row-major
// order, as a colour-wheel picture: hue = direction (see FieldColor), brightness =
// magnitude relative to the largest (on a log10 scale with opt.Log). A colour wheel
// legend and the largest magnitude are drawn to the right. A position where either
// component is NaN is drawn in NaNColor. opt.Map is not used.
func Field(fy, fx []float64, h, w int, opt Options) (*image.NRGBA, error) {
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
	img, o := canvas(h, w, scale, side)
	paint(img, o, h, w, scale, func(i int) color.NRGBA {
		if math.IsNaN(mag[i]) {
			return NaNColor
		}
		b := 0.0
		if s.ok && s.hi > 0 {
			b = s.t(mag[i])
		}
		return FieldColor(fy[i], fx[i], b)
	})

	// Legend: a wheel whose pixel at offset (dy, dx) from the centre shows the
	// colour of a vector pointing that way with magnitude dist/radius × max.
	cx := o.X + w*scale + gap + radius
	cy := o.Y + radius
	for dy := -radius; dy <= radius; dy++ {
		for dx := -radius; dx <= radius; dx++ {
			d := math.Hypot(float64(dy), float64(dx))
			if d > float64(radius) {
				continue
			}
			img.SetNRGBA(cx+dx, cy+dy, FieldColor(float64(dy), float64(dx), d/float64(radius)))
		}
	}
	textY := cy + radius + margin
	drawText(img, o.X+w*scale+gap, textY, maxLabel, textScale, ink)
	if s.log {
		drawText(img, o.X+w*scale+gap, textY+textHeight(textScale)+margin, logCaption, textScale, ink)
	}
	return img, nil
}
