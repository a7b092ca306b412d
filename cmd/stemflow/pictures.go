package main

import (
	"fmt"
	"image"
	"io"
	"sync"

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

// pictureJob is one picture to render: its file name, the function that renders
// it as an image and the one that encodes it as a PNG straight from the values,
// row by row, without an image in memory (both run later, on a writer's
// goroutine; the writer uses encode).
type pictureJob struct {
	file   string
	render func() (image.Image, error)
	encode func(w io.Writer) error
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
// that can render concurrently. The values are converted to float64 once, by the
// first job that runs (not by the caller, which queues the jobs of every result
// before any runs).
func bufferPictureJobs(name string, a array.Array, opt render.Options) ([]pictureJob, error) {
	sq := render.Squeeze(a.Shape())
	if a.Size() == 0 || !a.DType().IsNumeric() {
		return nil, nil
	}
	values := sync.OnceValues(func() ([]float64, error) { return render.Float64s(a) })
	// plane returns the values of picture i of k (the whole array when k = 0).
	plane := func(i, k int) ([]float64, error) {
		v, err := values()
		if err != nil || k == 0 {
			return v, err
		}
		p := make([]float64, len(v)/k)
		for j := range p {
			p[j] = v[j*k+i]
		}
		return p, nil
	}
	job := func(file, what string, i, k, h, w int) pictureJob {
		fail := func(err error) error { return fmt.Errorf("picture of %s: %w", what, err) }
		return pictureJob{file,
			func() (image.Image, error) {
				v, err := plane(i, k)
				if err != nil {
					return nil, fail(err)
				}
				img, err := render.Heatmap(v, h, w, opt)
				if err != nil {
					return nil, fail(err)
				}
				return img, nil
			},
			func(out io.Writer) error {
				v, err := plane(i, k)
				if err == nil {
					err = render.EncodeHeatmap(out, v, h, w, opt)
				}
				if err != nil {
					return fail(err)
				}
				return nil
			}}
	}
	switch {
	case len(sq) == 2:
		return []pictureJob{job(name+".png", name, 0, 0, sq[0], sq[1])}, nil
	case len(sq) == 3 && sq[2] <= maxPictureAxis:
		h, w, k := sq[0], sq[1], sq[2]
		out := make([]pictureJob, k)
		for i := range k {
			out[i] = job(fmt.Sprintf("%s-%d.png", name, i), fmt.Sprintf("%s[..., %d]", name, i), i, k, h, w)
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

// encodeFieldPicture writes the picture of fieldPicture as a PNG to out, rendered
// row by row (see render.EncodeField); the arrays must pass fieldPictureOK.
func encodeFieldPicture(out io.Writer, fy, fx array.Array, opt render.Options) error {
	sy := render.Squeeze(fy.Shape())
	if len(sy) != 2 || !fieldPictureOK(fy, fx) {
		return fmt.Errorf("field picture: shapes %v and %v, want the same 2-D shape", fy.Shape(), fx.Shape())
	}
	y, err := render.Float64s(fy)
	if err != nil {
		return err
	}
	x, err := render.Float64s(fx)
	if err != nil {
		return err
	}
	return render.EncodeField(out, y, x, sy[0], sy[1], opt)
}
