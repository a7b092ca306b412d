package render

import (
	"image/color"
	"math"
)

// ColorMap maps a value t in [0, 1] to a colour. Values outside [0, 1] are clamped.
type ColorMap func(t float64) color.NRGBA

// viridisCoef holds the coefficients, lowest degree first, of a degree-6 polynomial
// fit per channel to matplotlib's viridis colour map (the fit published by Matt Zucker,
// https://www.shadertoy.com/view/WlfXRN, released into the public domain). It
// reproduces the published viridis control points within 4/255 per channel.
var viridisCoef = [7][3]float64{
	{0.2777273272234177, 0.005407344544966578, 0.3340998053353061},
	{0.1050930431085774, 1.404613529898575, 1.384590162594685},
	{-0.3308618287255563, 0.214847559468213, 0.09509516302823659},
	{-4.634230498983486, -5.799100973351585, -19.33244095627987},
	{6.228269936347081, 14.17993336680509, 56.69055260068105},
	{4.776384997670288, -13.74514537774601, -65.35303263337234},
	{-5.435455855934631, 4.645852612178535, 26.3124352495832},
}

// Viridis is matplotlib's perceptually uniform viridis colour map (dark purple at 0,
// teal at 0.5, yellow at 1), evaluated from a polynomial fit. NaN maps to NaNColor.
func Viridis(t float64) color.NRGBA {
	if math.IsNaN(t) {
		return NaNColor
	}
	t = clamp01(t)
	var c [3]uint8
	for ch := 0; ch < 3; ch++ {
		v := 0.0
		for k := len(viridisCoef) - 1; k >= 0; k-- { // Horner
			v = v*t + viridisCoef[k][ch]
		}
		c[ch] = to8(v)
	}
	return color.NRGBA{R: c[0], G: c[1], B: c[2], A: 255}
}

// NaNColor is the colour of NaN pixels: a neutral grey, which viridis never produces
// (its colours all have a clear hue) and which stands out from both ends of the map.
var NaNColor = color.NRGBA{R: 150, G: 150, B: 150, A: 255}

// HSV converts hue h (degrees, any value; taken modulo 360), saturation s and value v
// (both in [0, 1], clamped) to an opaque colour.
func HSV(h, s, v float64) color.NRGBA {
	s, v = clamp01(s), clamp01(v)
	h = math.Mod(h, 360)
	if h < 0 {
		h += 360
	}
	c := v * s
	hp := h / 60
	x := c * (1 - math.Abs(math.Mod(hp, 2)-1))
	var r, g, b float64
	switch {
	case hp < 1:
		r, g = c, x
	case hp < 2:
		r, g = x, c
	case hp < 3:
		g, b = c, x
	case hp < 4:
		g, b = x, c
	case hp < 5:
		r, b = x, c
	default:
		r, b = c, x
	}
	m := v - c
	return color.NRGBA{R: to8(r + m), G: to8(g + m), B: to8(b + m), A: 255}
}

func clamp01(t float64) float64 {
	if t < 0 {
		return 0
	}
	if t > 1 {
		return 1
	}
	return t
}

// to8 converts a channel value in [0, 1] (clamped) to 0..255, rounding to nearest.
func to8(v float64) uint8 {
	return uint8(math.Round(clamp01(v) * 255))
}
