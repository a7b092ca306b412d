package udf

import (
	"sync"

	"github.com/stemflow/stemflow/array"
)

// Result holds one UDF's results: the buffers returned to the user, in the order of
// the reference (those Results returned, then the passed-through ones).
type Result struct {
	// UDF is the UDF value these results belong to.
	UDF UDF
	// Buffers are the result buffers in order.
	Buffers []*ResultBuffer
}

// Get returns the named buffer, or nil.
func (r *Result) Get(name string) *ResultBuffer {
	for _, b := range r.Buffers {
		if b.spec.Name == name {
			return b
		}
	}
	return nil
}

// Names returns the buffer names in order.
func (r *Result) Names() []string {
	out := make([]string, len(r.Buffers))
	for i, b := range r.Buffers {
		out[i] = b.spec.Name
	}
	return out
}

// ResultBuffer is one result buffer as the user sees it (the reference's
// BufferWrapper): the declaration, the raw (flat, ROI-compressed) array, the nav-shaped
// data with fill values outside the ROI, and validity masks.
type ResultBuffer struct {
	spec  BufferSpec
	raw   array.Array
	valid array.Array // bool, broadcastable to raw (nil: default rule)
	// navShaped: raw already has the full nav shape (Results returned it so).
	navShaped bool
	dsShape   array.Shape
	roi       []bool
	damage    []bool // flat ROI-compressed damage for the default nav mask

	dataOnce  sync.Once
	data      array.Array
	maskOnce  sync.Once
	rawMask   *array.Dense[bool]
	userMask  *array.Dense[bool]
	maskError error
}

// Name returns the buffer's name.
func (b *ResultBuffer) Name() string { return b.spec.Name }

// Spec returns the buffer's declaration (dtype resolved).
func (b *ResultBuffer) Spec() BufferSpec { return b.spec }

// Kind returns the buffer's kind.
func (b *ResultBuffer) Kind() BufferKind { return b.spec.Kind }

// ExtraShape returns the declared extra shape.
func (b *ResultBuffer) ExtraShape() []int { return append([]int(nil), b.spec.ExtraShape...) }

// DType returns the dtype of the data (the declared dtype, or the kind-compatible dtype
// Results returned).
func (b *ResultBuffer) DType() array.DType { return b.raw.DType() }

// RawData returns the buffer as stored: nav buffers flat and ROI-compressed,
// (R or N,)+extra; sig and single buffers as declared. It is not a copy.
func (b *ResultBuffer) RawData() array.Array { return b.raw }

// Data returns the buffer for display: nav buffers reshaped to nav+extra, with the
// dtype's fill value (array.FillValue: NaN, false, 0, "", nil) outside the ROI; sig and
// single buffers as RawData. A nav buffer that Results returned nav-shaped is returned
// unchanged. Computed once.
func (b *ResultBuffer) Data() array.Array {
	b.dataOnce.Do(func() { b.data = b.computeData() })
	return b.data
}

// ValidMask returns which elements of Data hold valid values (shape of Data). By
// default: for nav buffers the merged nav positions (damage) broadcast over the extra
// shape, false outside the ROI; for sig and single buffers all true. A mask given with
// WithMask / WithValid replaces the default.
func (b *ResultBuffer) ValidMask() *array.Dense[bool] {
	b.masks()
	return b.userMask
}

// RawValidMask returns the valid mask in the shape of RawData.
func (b *ResultBuffer) RawValidMask() *array.Dense[bool] {
	b.masks()
	return b.rawMask
}

// MaskedData returns Data and the numpy-style masked-array mask for it: true where the
// value is NOT valid (the negation of ValidMask).
func (b *ResultBuffer) MaskedData() (array.Array, *array.Dense[bool]) {
	return b.Data(), negate(b.ValidMask())
}

// RawMaskedData is MaskedData for RawData.
func (b *ResultBuffer) RawMaskedData() (array.Array, *array.Dense[bool]) {
	return b.RawData(), negate(b.RawValidMask())
}

// ValidSliceBounding returns the smallest box (one Range per axis of Data) containing
// every valid element; ok is false when nothing is valid.
func (b *ResultBuffer) ValidSliceBounding() (box []array.Range, ok bool) {
	return boundingBox(b.ValidMask())
}

// ValidSliceInner returns, along axis, the first contiguous run [start, stop) of
// indices at which every element (over all other axes) is valid; ok is false when there
// is none.
func (b *ResultBuffer) ValidSliceInner(axis int) (r array.Range, ok bool) {
	return innerRun(b.ValidMask(), axis)
}

// ArrayWithMask is an array returned from Results together with its valid mask (the
// reference's with_mask). It implements array.Array through the embedded data.
type ArrayWithMask struct {
	array.Array
	// Valid is a bool array broadcastable (numpy rules) to the data's shape; true
	// marks valid elements.
	Valid array.Array
}

// WithMask returns data with a valid mask for Results. The mask must be a bool array
// broadcastable to data's shape; that is checked when the results are built
// (ErrInvalidMask).
func WithMask(data array.Array, valid array.Array) array.Array {
	return &ArrayWithMask{Array: data, Valid: valid}
}

// WithValid returns data marked all valid (true) or all invalid (false) for Results.
func WithValid(data array.Array, valid bool) array.Array {
	return &ArrayWithMask{Array: data, Valid: array.Wrap([]bool{valid}, 1)}
}
