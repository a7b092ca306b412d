package web

import (
	"bytes"
	"fmt"
	"image"
	"image/png"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/internal/render"
)

// The pictures here are the ones `stemflow run` writes for the same buffers: the
// same squeezing, the same render calls and the same png.Encode settings.

func encodePNG(img image.Image) ([]byte, error) {
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// heatmapPNG renders a buffer that is 2-D after squeezing as the CLI's picture.
func heatmapPNG(a array.Array, opt render.Options) ([]byte, error) {
	sq := render.Squeeze(a.Shape())
	if len(sq) != 2 || !a.DType().IsNumeric() {
		return nil, fmt.Errorf("buffer of shape %v and dtype %v has no picture (want 2-D numbers after dropping length-1 axes)", a.Shape(), a.DType())
	}
	v, err := render.Float64s(a)
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
	sy, sx := render.Squeeze(fy.Shape()), render.Squeeze(fx.Shape())
	if len(sy) != 2 || len(sx) != 2 || sy[0] != sx[0] || sy[1] != sx[1] {
		return nil, fmt.Errorf("field components of shapes %v and %v, want equal 2-D shapes", fy.Shape(), fx.Shape())
	}
	y, err := render.Float64s(fy)
	if err != nil {
		return nil, err
	}
	x, err := render.Float64s(fx)
	if err != nil {
		return nil, err
	}
	img, err := render.Field(y, x, sy[0], sy[1], render.Options{})
	if err != nil {
		return nil, err
	}
	return encodePNG(img)
}
