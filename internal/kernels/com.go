package kernels

import (
	"errors"
	"fmt"
)

// ErrShape is wrapped by constructors whose shape arguments are inconsistent.
var ErrShape = errors.New("kernels: inconsistent shape")

// Span selects the pixels in columns [X0, X1) of row Y of a frame.
type Span struct{ Y, X0, X1 int }

// SpansFromMask returns, row by row, the runs of non-zero pixels of a
// row-major h × w mask. The mask's values are not weights: every non-zero
// pixel counts with weight 1. It returns an error wrapping ErrShape when
// len(mask) != h·w.
func SpansFromMask(mask []float32, h, w int) ([]Span, error) {
	if h < 0 || w < 0 || len(mask) != h*w {
		return nil, fmt.Errorf("%w: SpansFromMask: mask has %d pixels, want h × w = %d × %d", ErrShape, len(mask), h, w)
	}
	var spans []Span
	for y := 0; y < h; y++ {
		row := mask[y*w : (y+1)*w]
		for x := 0; x < w; {
			if row[x] == 0 {
				x++
				continue
			}
			x0 := x
			for x < w && row[x] != 0 {
				x++
			}
			spans = append(spans, Span{y, x0, x})
		}
	}
	return spans, nil
}

// CoM is a centre-of-mass kernel for frames of h × w float32 pixels
// restricted to a set of spans (a disk, a ring, any binary mask). For each
// frame it computes, in one pass over the selected pixels,
//
//	Σ p,  Σ y·p,  Σ x·p
//
// with y the row and x the column index of the pixel (origin at pixel 0, 0).
// Each span is reduced in float32 SIMD lanes and the span results are summed
// in float64. A CoM is immutable and safe for concurrent use.
type CoM struct {
	h, w  int
	spans []Span
	xs    []float32 // column coordinates 0..w-1
}

// NewCoM returns the kernel for frames of h × w pixels and the given spans
// (copied). It returns an error wrapping ErrShape when a span lies outside
// the frame or has X1 < X0.
func NewCoM(h, w int, spans []Span) (*CoM, error) {
	if h < 0 || w < 0 {
		return nil, fmt.Errorf("%w: NewCoM: frame shape %d × %d", ErrShape, h, w)
	}
	for i, s := range spans {
		if s.Y < 0 || s.Y >= h || s.X0 < 0 || s.X1 < s.X0 || s.X1 > w {
			return nil, fmt.Errorf("%w: NewCoM: span %d = {Y:%d X0:%d X1:%d} outside the %d × %d frame", ErrShape, i, s.Y, s.X0, s.X1, h, w)
		}
	}
	xs := make([]float32, w)
	for i := range xs {
		xs[i] = float32(i)
	}
	return &CoM{h: h, w: w, spans: append([]Span(nil), spans...), xs: xs}, nil
}

// NewCoMFull returns the kernel over every pixel of an h × w frame.
func NewCoMFull(h, w int) (*CoM, error) {
	spans := make([]Span, h)
	for y := range spans {
		spans[y] = Span{y, 0, w}
	}
	return NewCoM(h, w, spans)
}

// FrameLen returns the number of pixels of one frame, h·w.
func (c *CoM) FrameLen() int { return c.h * c.w }

// Frame returns Σp, Σy·p and Σx·p over the selected pixels of frame. It
// panics if len(frame) != h·w.
func (c *CoM) Frame(frame []float32) (sum, sumY, sumX float64) {
	if len(frame) != c.h*c.w {
		panic(fmt.Sprintf("kernels.CoM.Frame: len(frame) = %d, want %d × %d", len(frame), c.h, c.w))
	}
	return c.frame(frame)
}

func (c *CoM) frame(frame []float32) (sum, sumY, sumX float64) {
	w := c.w
	for _, s := range c.spans {
		o := s.Y * w
		ps, pd := sumDotF32(frame[o+s.X0:o+s.X1], c.xs[s.X0:s.X1])
		sum += float64(ps)
		sumY += float64(s.Y) * float64(ps)
		sumX += float64(pd)
	}
	return sum, sumY, sumX
}

// Tile runs Frame on each frame of a tile (depth frames, row-major, frame
// stride h·w) and writes frame f's results to out[3f], out[3f+1], out[3f+2]
// (Σp, Σy·p, Σx·p). It panics if len(tile) is not depth·h·w with
// len(out) = 3·depth.
func (c *CoM) Tile(out []float64, tile []float32) {
	n := c.h * c.w
	if len(out)%3 != 0 || len(tile) != len(out)/3*n {
		panic(fmt.Sprintf("kernels.CoM.Tile: len(tile) = %d, len(out) = %d, want 3·depth and depth × %d", len(tile), len(out), n))
	}
	for f := 0; f < len(out)/3; f++ {
		out[3*f], out[3*f+1], out[3*f+2] = c.frame(tile[f*n : (f+1)*n])
	}
}
