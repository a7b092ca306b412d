package main

import (
	"fmt"
	"image"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/internal/render"
)

// maxPictureAxis is the longest trailing axis that is split into one picture per index.
const maxPictureAxis = 16

// picture is one PNG to write: a file name (without folder) and the image.
type picture struct {
	file string
	img  image.Image
}

// pictureJob is one picture to render: its file name and the function that
// renders it (run later, on a writer's goroutine).
type pictureJob struct {
	file   string
	render func() (image.Image, error)
}

// bufferPictures renders buffer name: <name>.png when it is 2-D after squeezing,
// <name>-<i>.png for each index i of a trailing axis of length ≤ 16 of a 3-D one, and
// nothing otherwise (including non-numeric buffers).
func bufferPictures(name string, a array.Array, opt render.Options) ([]picture, error) {
	jobs, err := bufferPictureJobs(name, a, opt)
	if err != nil {
		return nil, err
	}
	var out []picture
	for _, j := range jobs {
		img, err := j.render()
		if err != nil {
			return nil, err
		}
		out = append(out, picture{j.file, img})
	}
	return out, nil
}

// bufferPictureJobs returns the pictures of buffer name (see bufferPictures) as jobs
// that can render concurrently; the values are converted to float64 once, here.
func bufferPictureJobs(name string, a array.Array, opt render.Options) ([]pictureJob, error) {
	sq := render.Squeeze(a.Shape())
	if a.Size() == 0 || !a.DType().IsNumeric() {
		return nil, nil
	}
	switch {
	case len(sq) == 2:
		v, err := render.Float64s(a)
		if err != nil {
			return nil, fmt.Errorf("picture of %s: %w", name, err)
		}
		return []pictureJob{{name + ".png", func() (image.Image, error) {
			img, err := render.Heatmap(v, sq[0], sq[1], opt)
			if err != nil {
				return nil, fmt.Errorf("picture of %s: %w", name, err)
			}
			return img, nil
		}}}, nil
	case len(sq) == 3 && sq[2] <= maxPictureAxis:
		v, err := render.Float64s(a)
		if err != nil {
			return nil, fmt.Errorf("picture of %s: %w", name, err)
		}
		h, w, k := sq[0], sq[1], sq[2]
		out := make([]pictureJob, k)
		for i := range k {
			out[i] = pictureJob{fmt.Sprintf("%s-%d.png", name, i), func() (image.Image, error) {
				plane := make([]float64, h*w)
				for p := range plane {
					plane[p] = v[p*k+i]
				}
				img, err := render.Heatmap(plane, h, w, opt)
				if err != nil {
					return nil, fmt.Errorf("picture of %s[..., %d]: %w", name, i, err)
				}
				return img, nil
			}}
		}
		return out, nil
	}
	return nil, nil
}

// fieldPictureOK reports whether fieldPicture draws the two arrays: same shape, 2-D
// after squeezing.
func fieldPictureOK(fy, fx array.Array) bool {
	sy, sx := render.Squeeze(fy.Shape()), render.Squeeze(fx.Shape())
	return len(sy) == 2 && equalInts(sy, sx)
}

// fieldPicture renders the colour-wheel image of a vector field given as two
// same-shaped arrays (y and x components) that are 2-D after squeezing.
func fieldPicture(file string, fy, fx array.Array, opt render.Options) (*picture, error) {
	sy, sx := render.Squeeze(fy.Shape()), render.Squeeze(fx.Shape())
	if len(sy) != 2 || !equalInts(sy, sx) {
		return nil, nil
	}
	y, err := render.Float64s(fy)
	if err != nil {
		return nil, err
	}
	x, err := render.Float64s(fx)
	if err != nil {
		return nil, err
	}
	img, err := render.Field(y, x, sy[0], sy[1], opt)
	if err != nil {
		return nil, err
	}
	return &picture{file, img}, nil
}
