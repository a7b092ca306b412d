package web

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"math/cmplx"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/internal/render"
)

// The pictures here are the ones `stemflow run` writes for the same buffers: the
// same squeezing, the same render calls and the same png.Encode settings.

// squeeze drops the length-1 axes of shape.
func squeeze(shape []int) []int {
	var out []int
	for _, n := range shape {
		if n != 1 {
			out = append(out, n)
		}
	}
	return out
}

// toFloat64 returns the values of a in C order as float64; complex values become
// their magnitude.
func toFloat64(a array.Array) ([]float64, error) {
	if a.DType().Kind() == array.KindComplex {
		c, err := array.Convert(a, array.Complex128)
		if err != nil {
			return nil, err
		}
		z := c.(*array.Dense[complex128]).Data()
		out := make([]float64, len(z))
		for i, v := range z {
			out[i] = cmplx.Abs(v)
		}
		return out, nil
	}
	f, err := array.Convert(a, array.Float64)
	if err != nil {
		return nil, err
	}
	return f.(*array.Dense[float64]).Data(), nil
}

func encodePNG(img image.Image) ([]byte, error) {
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// heatmapPNG renders a buffer that is 2-D after squeezing as the CLI's picture.
func heatmapPNG(a array.Array, opt render.Options) ([]byte, error) {
	sq := squeeze(a.Shape())
	if len(sq) != 2 || !a.DType().IsNumeric() {
		return nil, fmt.Errorf("buffer of shape %v and dtype %v has no picture (want 2-D numbers after dropping length-1 axes)", a.Shape(), a.DType())
	}
	v, err := toFloat64(a)
	if err != nil {
		return nil, err
	}
	img, err := render.Heatmap(v, sq[0], sq[1], opt)
	if err != nil {
		return nil, err
	}
	return encodePNG(img)
}

// fieldPNG renders the colour-wheel picture of a vector field (the CLI's field.png).
func fieldPNG(fy, fx array.Array) ([]byte, error) {
	sy, sx := squeeze(fy.Shape()), squeeze(fx.Shape())
	if len(sy) != 2 || len(sx) != 2 || sy[0] != sx[0] || sy[1] != sx[1] {
		return nil, fmt.Errorf("field components of shapes %v and %v, want equal 2-D shapes", fy.Shape(), fx.Shape())
	}
	y, err := toFloat64(fy)
	if err != nil {
		return nil, err
	}
	x, err := toFloat64(fx)
	if err != nil {
		return nil, err
	}
	img, err := render.Field(y, x, sy[0], sy[1], render.Options{})
	if err != nil {
		return nil, err
	}
	return encodePNG(img)
}
