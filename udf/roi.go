package udf

import (
	"errors"
	"fmt"

	"github.com/stemflow/stemflow/array"
)

// ErrROI is wrapped by the errors of the ROI helpers (ROIFromCoords, ROIFromPairs,
// ROIFromArray): a coordinate of the wrong rank or out of range, pairs with mixed
// truth values, no pairs, or an array that cannot be read as a mask.
var ErrROI = errors.New("udf: invalid roi")

// ROIPair is one entry of a pairs ROI (ROIFromPairs): a nav coordinate and the value
// it gets.
type ROIPair struct {
	// Coords is the nav coordinate, one index per nav axis; negative indices count
	// from the end of their axis, as in numpy.
	Coords []int
	// Selected is the value the position gets; every pair of one ROI must agree.
	Selected bool
}

// ROIFromCoords returns a nav-shaped bool ROI (for Options.ROI) that selects the
// single nav position coords (the reference's coordinate-tuple ROI). coords needs one
// index per axis of nav (ds.Shape().Nav()); negative indices count from the end, as in
// numpy. Errors wrap ErrROI and name the offending axis.
func ROIFromCoords(nav []int, coords ...int) (*array.Dense[bool], error) {
	roi, err := newROI(nav)
	if err != nil {
		return nil, err
	}
	flat, err := navFlat(nav, coords)
	if err != nil {
		return nil, err
	}
	roi.Data()[flat] = true
	return roi, nil
}

// ROIFromPairs returns a nav-shaped bool ROI (for Options.ROI) from (coords, value)
// pairs that all share one truth value: the listed positions get it and every other
// position the opposite (the reference's iterable-of-pairs ROI). So pairs marked
// Selected pick positions, pairs marked not Selected exclude them. Listing a position
// twice is allowed. Mixed truth values, no pairs at all, and coordinates of the wrong
// rank or out of range are errors wrapping ErrROI that name the pair.
func ROIFromPairs(nav []int, pairs ...ROIPair) (*array.Dense[bool], error) {
	if len(pairs) == 0 {
		return nil, fmt.Errorf("%w: no (coords, value) pairs: the value of the other positions is undefined", ErrROI)
	}
	roi, err := newROI(nav)
	if err != nil {
		return nil, err
	}
	v := pairs[0].Selected
	d := roi.Data()
	for i := range d {
		d[i] = !v
	}
	for i, p := range pairs {
		if p.Selected != v {
			return nil, fmt.Errorf("%w: pair %d (coords %v) has value %v, pair 0 has %v: all pairs must share one value", ErrROI, i, p.Coords, p.Selected, v)
		}
		flat, err := navFlat(nav, p.Coords)
		if err != nil {
			return nil, fmt.Errorf("pair %d: %w", i, err)
		}
		d[flat] = v
	}
	return roi, nil
}

// ROIFromArray returns a as a bool ROI (for Options.ROI) of the same shape: a copy when
// a is already a dense bool array; numbers (dense, or CSR/CSC matrices, which are
// densified) are cast to bool, nonzero (NaN included) meaning selected, as numpy's
// astype(bool). The reference casts such a ROI silently (with a warning); stemflow's
// Options.ROI accepts bool arrays only, so the cast is this explicit call. Byte-string
// and object arrays are errors wrapping ErrROI.
func ROIFromArray(a array.Array) (*array.Dense[bool], error) {
	if a == nil {
		return nil, fmt.Errorf("%w: nil array", ErrROI)
	}
	switch a.DType().Kind() {
	case array.KindBool, array.KindInt, array.KindUint, array.KindFloat, array.KindComplex:
	default:
		return nil, fmt.Errorf("%w: array of dtype %v, want bool or a number to cast to bool", ErrROI, a.DType())
	}
	d, err := array.Densify(a)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrROI, err)
	}
	b, err := array.Convert(d, array.Bool)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrROI, err)
	}
	return b.(*array.Dense[bool]), nil
}

// newROI returns an all-false ROI of shape nav.
func newROI(nav []int) (*array.Dense[bool], error) {
	for i, n := range nav {
		if n < 0 {
			return nil, fmt.Errorf("%w: nav axis %d has extent %d", ErrROI, i, n)
		}
	}
	return array.Zeros[bool](nav...), nil
}

// navFlat returns the C-order flat index of coords in nav (negative indices count from
// the end).
func navFlat(nav, coords []int) (int, error) {
	if len(coords) != len(nav) {
		return 0, fmt.Errorf("%w: coords %v have %d indices, the nav shape %v has %d axes", ErrROI, coords, len(coords), nav, len(nav))
	}
	flat := 0
	for a, c := range coords {
		n := nav[a]
		if c < -n || c >= n {
			return 0, fmt.Errorf("%w: coords %v: index %d out of range for nav axis %d of extent %d", ErrROI, coords, c, a, n)
		}
		if c < 0 {
			c += n
		}
		flat = flat*n + c
	}
	return flat, nil
}
