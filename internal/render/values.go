package render

import (
	"math/cmplx"

	"github.com/stemflow/stemflow/array"
)

// Squeeze drops the length-1 axes of shape: a result is drawn as a picture when what
// is left is 2-D.
func Squeeze(shape []int) []int {
	var out []int
	for _, n := range shape {
		if n != 1 {
			out = append(out, n)
		}
	}
	return out
}

// Float64s returns the values of a in C order as float64, as pictures draw them;
// complex values become their magnitude. A C-contiguous float64 array's own values
// are returned, not a copy: the caller must not modify them.
func Float64s(a array.Array) ([]float64, error) {
	if d, ok := a.(*array.Dense[float64]); ok && d.DType() == array.Float64 && d.IsContiguous() {
		return d.Data()[d.Offset() : d.Offset()+d.Size()], nil
	}
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
