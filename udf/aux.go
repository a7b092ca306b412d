package udf

import (
	"fmt"

	"github.com/stemflow/stemflow/array"
)

// AuxData is auxiliary per-frame data: one row of shape Extra per nav
// position of the full dataset, independent of the ROI. A UDF holds it as a parameter
// and lists it through AuxProvider; the engine slices it to each task's partition and
// ROI and keeps Env.Aux in step with the current unit: all partition rows in TaskData,
// Preprocess, Postprocess and ProcessPartition, the tile's rows (depth,)+Extra in
// ProcessTile, one row in ProcessFrame (shape (1,) without extra shape, Extra
// otherwise). On the main node (Preprocess, Results) the view is the ROI-selected rows
// of the whole aux array, and without a ROI the whole (N,)+Extra array (the
// reference's extra leading axis of length 1 there, numpy's data[None], is not
// reproduced).
//
// The data is stored flat as (N,)+Extra, or (N,) when Extra is empty or (1,) — so with
// Extra (1,) the per-frame view has shape (1,), not a scalar (the reference's 0-d
// quirk is not reproduced). Both deviations are recorded in docs/design-notes.md.
type AuxData struct {
	// Name names the aux data in errors.
	Name  string
	data  array.Array
	extra []int
}

// NewAuxData wraps data (any shape whose size is a multiple of prod(extra); one row per
// nav position) as aux data of kind nav. It does not copy data; do not modify it while
// a run uses it.
func NewAuxData(name string, data array.Array, extra ...int) (*AuxData, error) {
	if data == nil {
		return nil, fmt.Errorf("%w: aux %q: nil data", ErrAuxData, name)
	}
	if data.Format() != array.FormatDense {
		return nil, fmt.Errorf("%w: aux %q: format %v, want dense", ErrAuxData, name, data.Format())
	}
	rowSize := 1
	for _, e := range extra {
		if e < 0 {
			return nil, fmt.Errorf("%w: aux %q: negative extra extent in %v", ErrAuxData, name, extra)
		}
		rowSize *= e
	}
	store := extra
	if len(extra) == 1 && extra[0] == 1 {
		store = nil
	}
	if rowSize == 0 || data.Size()%rowSize != 0 {
		return nil, fmt.Errorf("%w: aux %q: size %d is not a multiple of the row size %d (extra %v)", ErrAuxData, name, data.Size(), rowSize, extra)
	}
	flat, err := reshapeDyn(data, append([]int{data.Size() / rowSize}, store...))
	if err != nil {
		return nil, fmt.Errorf("%w: aux %q: %v", ErrAuxData, name, err)
	}
	return &AuxData{Name: name, data: flat, extra: append([]int(nil), store...)}, nil
}

// Data returns the stored flat array, (N,)+Extra.
func (a *AuxData) Data() array.Array { return a.data }

// Extra returns the per-row shape as stored (empty for extra () and (1,)).
func (a *AuxData) Extra() []int { return append([]int(nil), a.extra...) }

// Rows returns the number of rows (nav positions).
func (a *AuxData) Rows() int { return a.data.Shape()[0] }
