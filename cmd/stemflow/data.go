package main

import (
	"fmt"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/dataset"
)

// openDataset opens the input file with the format flags.
func openDataset(path string, d dataOpts, partitions int) (dataset.Dataset, error) {
	switch d.format {
	case "", "auto", "raw", "npy", "raw_csr":
	default:
		return nil, usagef("--format %q, want raw, npy, raw_csr or auto", d.format)
	}
	if d.dtype != "" {
		if _, _, err := array.ParseDType(d.dtype); err != nil {
			return nil, usagef("--dtype %q: %v", d.dtype, err)
		}
	}
	if partitions < 0 {
		return nil, usagef("--partitions %d, want ≥ 0", partitions)
	}
	ds, err := dataset.Open(d.format, path, dataset.OpenOptions{
		NavShape:      d.nav,
		SigShape:      d.sig,
		DType:         d.dtype,
		SyncOffset:    d.syncOffset,
		NumPartitions: partitions,
	})
	if err != nil {
		return nil, err
	}
	return ds, nil
}

// loadROI reads a region of interest from a .npy file: any numeric dtype (nonzero =
// selected) with one element per nav position, nav-shaped or flat.
func loadROI(path string, shape array.Shape) (*array.Dense[bool], error) {
	a, err := array.ReadNPYFile(path)
	if err != nil {
		return nil, fmt.Errorf("--roi: %w", err)
	}
	if a.Size() != shape.NavSize() {
		return nil, fmt.Errorf("--roi %s: shape %v has %d elements, want %d (nav shape %v, or flat)",
			path, a.Shape(), a.Size(), shape.NavSize(), shape.Nav())
	}
	if !a.DType().IsNumeric() {
		return nil, fmt.Errorf("--roi %s: dtype %v, want bool or a number", path, a.DType())
	}
	b, err := array.Convert(a, array.Bool)
	if err != nil {
		return nil, fmt.Errorf("--roi %s: %w", path, err)
	}
	roi, ok := b.(*array.Dense[bool])
	if !ok {
		return nil, fmt.Errorf("--roi %s: unexpected array type %T", path, b)
	}
	return roi, nil
}

// loadMasks reads a mask stack for masks:file=...: shape (n, sy, sx) or (sy, sx) with
// (sy, sx) the signal shape, any real dtype; it returns the masks as float32 (n, sig...).
func loadMasks(path string, sig []int) (*array.Dense[float32], error) {
	a, err := array.ReadNPYFile(path)
	if err != nil {
		return nil, fmt.Errorf("masks: %w", err)
	}
	shape := a.Shape()
	n := 1
	switch {
	case len(shape) == len(sig)+1 && equalInts(shape[1:], sig):
		n = shape[0]
	case equalInts(shape, sig):
	default:
		return nil, fmt.Errorf("masks file %s: shape %v, want (n, %s) or (%s) to match the signal shape",
			path, shape, joinInts(sig), joinInts(sig))
	}
	if n == 0 {
		return nil, fmt.Errorf("masks file %s: holds no mask (shape %v)", path, shape)
	}
	if k := a.DType().Kind(); !a.DType().IsNumeric() || k == array.KindComplex {
		return nil, fmt.Errorf("masks file %s: dtype %v, want bool, an integer or a float", path, a.DType())
	}
	f, err := array.Convert(a, array.Float32)
	if err != nil {
		return nil, fmt.Errorf("masks file %s: %w", path, err)
	}
	d := f.(*array.Dense[float32])
	return array.Wrap(d.Data(), append([]int{n}, sig...)...), nil
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func joinInts(v []int) string {
	s := ""
	for i, x := range v {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprint(x)
	}
	return s
}
