package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/dataset"
)

// flagOfField maps the option names the dataset package reports to the flags that
// set them, so that messages name what the user typed.
var flagOfField = []struct{ field, flag string }{
	{"nav_shape", "--nav-shape"},
	{"sig_shape", "--sig-shape"},
	{"sync_offset", "--sync-offset"},
	{"ds_path", "--ds-path"},
}

// flagError rewrites the dataset's option names in err's message into the flags the
// user gave; errors.Is and errors.As still see err.
type flagError struct {
	msg string
	err error
}

func (e *flagError) Error() string { return e.msg }
func (e *flagError) Unwrap() error { return e.err }

func nameFlags(err error, d dataOpts) error {
	msg := err.Error()
	// ds_path is only ever the option (given, or the one to give)
	given := map[string]bool{"--nav-shape": len(d.nav) > 0, "--sig-shape": len(d.sig) > 0, "--sync-offset": d.syncOffset != 0, "--ds-path": true}
	changed := false
	for _, m := range flagOfField {
		if given[m.flag] && strings.Contains(msg, m.field) {
			msg = strings.ReplaceAll(msg, m.field, m.flag)
			changed = true
		}
	}
	if !changed {
		return err
	}
	return &flagError{msg, err}
}

// formatHelp lists the formats and the extensions auto detects, e.g.
// "raw (.raw, .bin), npy (.npy), raw_csr (.toml)".
func formatHelp() string {
	var parts []string
	for _, n := range dataset.FormatNames() {
		ext := dataset.FormatExtensions(n)
		if len(ext) == 0 {
			parts = append(parts, n)
			continue
		}
		parts = append(parts, n+" ("+strings.Join(ext, ", ")+")")
	}
	return strings.Join(parts, ", ")
}

// openDataset opens the input file with the format flags. Flags that the format
// ignores are warned about on warn.
func openDataset(path string, d dataOpts, partitions, workers int, warn io.Writer) (dataset.Dataset, error) {
	format := strings.ToLower(d.format)
	known := format == "" || format == "auto" || slices.Contains(dataset.FormatNames(), format)
	if !known {
		return nil, usagef("--format %q, want auto or one of: %s", d.format, strings.Join(dataset.FormatNames(), ", "))
	}
	if d.dtype != "" {
		if _, _, err := array.ParseDType(d.dtype); err != nil {
			return nil, usagef("--dtype %q: %v", d.dtype, err)
		}
	}
	if partitions < 0 {
		return nil, usagef("--partitions %d, want ≥ 0", partitions)
	}
	if format == "" || format == "auto" {
		f, err := dataset.DetectFormat(path)
		if err != nil {
			if _, statErr := os.Stat(path); statErr != nil {
				return nil, fmt.Errorf("dataset %s: %w: %w", path, dataset.ErrNotFound, statErr)
			} else {
				return nil, usagef("--format auto cannot tell the format of %s (extension %q); for a headerless file give --format raw with --dtype, --nav-shape and --sig-shape (auto detects %s)",
					path, filepath.Ext(path), formatHelp())
			}
		} else {
			format = f
		}
	}
	switch format {
	case "raw":
		var missing []string
		if d.dtype == "" {
			missing = append(missing, "--dtype")
		}
		if len(d.nav) == 0 {
			missing = append(missing, "--nav-shape")
		}
		if len(d.sig) == 0 {
			missing = append(missing, "--sig-shape")
		}
		if len(missing) > 0 {
			return nil, usagef("a raw file needs %s (missing %s)", "--dtype, --nav-shape and --sig-shape", strings.Join(missing, ", "))
		}
	case "npy":
		if d.dtype != "" {
			warnf(warn, "--dtype %s is ignored: an .npy file's header gives its dtype", d.dtype)
		}
	}
	method, populate, err := ioMethod(d.io, workers)
	if err != nil {
		return nil, err
	}
	ds, err := dataset.Open(format, path, dataset.OpenOptions{
		NavShape:      d.nav,
		SigShape:      d.sig,
		DType:         d.dtype,
		SyncOffset:    d.syncOffset,
		NumPartitions: partitions,
		IO:            method,
		Populate:      populate,
		DSPath:        d.dsPath,

		SkipFileCorrections: d.corr.skipFile(),
	})
	if err != nil {
		err = nameFlags(err, d)
		if errors.Is(err, dataset.ErrSyncOffset) || errors.Is(err, dataset.ErrSigSize) {
			return nil, usageError{err}
		}
		return nil, err
	}
	warnUnused(ds, path, format, d, warn)
	return applyCorrections(ds, d.corr)
}

// ioMethod maps --io to the dataset's I/O options.
// "auto" applies dataset.ChooseIO to the number of workers of the run.
func ioMethod(v string, workers int) (method string, populate bool, err error) {
	switch strings.ToLower(v) {
	case "", "auto":
		m, p := dataset.ChooseIO(workers)
		return m, p, nil
	case "mmap":
		return dataset.IOMmap, false, nil
	case "populate":
		return dataset.IOMmap, true, nil
	case "pread":
		return dataset.IORead, false, nil
	}
	return "", false, usagef("--io %q, want auto, mmap, populate or pread", v)
}

// warnUnused warns when the shape uses fewer frames than the file holds, and when a
// raw file holds bytes after the last frame.
func warnUnused(ds dataset.Dataset, path, format string, d dataOpts, warn io.Writer) {
	shape := ds.Shape()
	frames, count := shape.NavSize(), ds.ImageCount()
	if len(d.nav) > 0 && frames+d.syncOffset < count {
		warnf(warn, "--nav-shape %v uses %d frames, %s holds %d (the rest is ignored)", d.nav.String(), frames, path, count)
	}
	if format != "raw" {
		return
	}
	st, err := os.Stat(path)
	if err != nil {
		return
	}
	frame := int64(shape.SigSize()) * int64(ds.DType().ItemSize())
	if frame > 0 && st.Size()%frame != 0 {
		warnf(warn, "%s is %d bytes, not a whole number of %d-byte frames: the last %d bytes are ignored", path, st.Size(), frame, st.Size()%frame)
	}
}

// loadROI reads a region of interest from a .npy file: any numeric dtype (nonzero =
// selected) with one element per nav position, nav-shaped or flat.
func loadROI(path string, shape array.Shape) (*array.Dense[bool], error) {
	a, err := array.ReadNPYFile(path)
	if err != nil {
		return nil, fmt.Errorf("--roi: %w", err)
	}
	nav := shape.Nav()
	if !equalInts(a.Shape(), nav) && !equalInts(a.Shape(), []int{shape.NavSize()}) {
		return nil, fmt.Errorf("--roi %s: shape %v, want the nav shape %v or flat (%d)",
			path, a.Shape(), nav, shape.NavSize())
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
